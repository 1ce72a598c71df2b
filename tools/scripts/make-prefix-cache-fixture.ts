/**
 * Writes libs/core/test-fixtures/tiny-llada-contrib: a tiny LLaDA-layout checkpoint (the synthetic
 * writer's layout and config, with peaked random weights so that argmaxes are not near-ties)
 * converted by `unmask convert` with the converter's defaults (contrib operators, the last layer
 * on the logit rows only), fp32, plus the checkpoint's weights as one bf16 safetensors file for
 * the JavaScript reference transformer of prefix-cache-reference.test.ts.
 *
 *   node --import tsx tools/scripts/make-prefix-cache-fixture.ts
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lladaShape, writeCheckpoint } from '@unmask/convert/synthetic-checkpoint';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const OUT = join(ROOT, 'libs', 'core', 'test-fixtures', 'tiny-llada-contrib');
const work = join(tmpdir(), `prefix-cache-fixture-${process.pid}`);
const checkpoint = join(work, 'checkpoint');

const shape = lladaShape({ d: 64, heads: 4, mlp: 128, vocab: 160 });
const written = writeCheckpoint(checkpoint, shape, 2);

// Replace the ±[2⁻⁷, 2⁻⁶) weights by N(0, 1/fan_in)·2 (norms stay 1) from a seeded generator.
let state = 20261204;
const uniform = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return (state + 0.5) / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const toBf16 = (x: number) => {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  return (u + 0x7fff + ((u >>> 16) & 1)) >>> 16; // round to nearest even
};
const shard = readdirSync(checkpoint).find((f) => f.endsWith('.safetensors'))!;
const file = readFileSync(join(checkpoint, shard));
const headerLength = Number(file.readBigUInt64LE(0));
const header = JSON.parse(file.subarray(8, 8 + headerLength).toString()) as Record<
  string,
  { shape: number[]; data_offsets: [number, number] }
>;
const dataStart = 8 + headerLength;
for (const spec of written.tensors) {
  if (spec.ones) continue;
  const {
    data_offsets: [begin, end],
  } = header[spec.name]!;
  const fanIn = spec.shape.at(-1)!;
  const words = new Uint16Array((end - begin) / 2);
  for (let i = 0; i < words.length; i++) words[i] = toBf16((2 * normal()) / Math.sqrt(fanIn));
  Buffer.from(words.buffer).copy(file, dataStart + begin);
}
writeFileSync(join(checkpoint, shard), file);

rmSync(OUT, { recursive: true, force: true });
const cli = join(ROOT, 'apps', 'cli', 'bin', 'unmask.mjs');
const done = spawnSync(process.execPath, [cli, 'convert', '--from', checkpoint, '--to', OUT, '--weights', 'fp32'], {
  stdio: 'inherit',
});
if (done.status !== 0) throw new Error('unmask convert failed');
mkdirSync(OUT, { recursive: true });
copyFileSync(join(checkpoint, shard), join(OUT, 'checkpoint.safetensors'));
copyFileSync(join(checkpoint, 'config.json'), join(OUT, 'checkpoint-config.json'));
rmSync(work, { recursive: true, force: true });
console.log(`wrote ${OUT}`);

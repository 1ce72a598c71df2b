/**
 * Peak memory of `convertCheckpoint` on a synthetic multi-GB LLaDA checkpoint (random bf16
 * weights in LLaDA's tensor layout, sharded like the real one). The conversion runs in a child
 * process so that its peak resident set size is measured alone.
 *
 *   node --import tsx libs/convert/bench/convert-memory.ts [--layers 20] [--load] [--keep] [--weights fp32,int8,…] [--external]
 *
 * Prints the checkpoint size, the bundle size, the child's peak RSS and the time taken. With
 * --load, a second child loads the bundle with loadBundle and runs one 8-token forward pass
 * (proving that graphs with external data load), printing its time and peak RSS, and times a
 * 64-token forward (median of 3). --weights converts the same checkpoint to each format listed;
 * --external puts every graph's weights in external data, whatever their size.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundle } from '@unmask/core';
import { convertCheckpoint, type WeightFormat } from '../src/index.js';

const SHARD_BYTES = 1024 ** 3;

interface Spec {
  readonly name: string;
  readonly shape: readonly number[];
}

function lladaTensors(c: { d: number; layers: number; mlp: number; vocab: number }): Spec[] {
  const specs: Spec[] = [{ name: 'model.transformer.wte.weight', shape: [c.vocab, c.d] }];
  for (let i = 0; i < c.layers; i++) {
    const p = `model.transformer.blocks.${i}`;
    specs.push(
      { name: `${p}.attn_norm.weight`, shape: [c.d] },
      { name: `${p}.q_proj.weight`, shape: [c.d, c.d] },
      { name: `${p}.k_proj.weight`, shape: [c.d, c.d] },
      { name: `${p}.v_proj.weight`, shape: [c.d, c.d] },
      { name: `${p}.attn_out.weight`, shape: [c.d, c.d] },
      { name: `${p}.ff_norm.weight`, shape: [c.d] },
      { name: `${p}.ff_proj.weight`, shape: [c.mlp, c.d] },
      { name: `${p}.up_proj.weight`, shape: [c.mlp, c.d] },
      { name: `${p}.ff_out.weight`, shape: [c.d, c.mlp] },
    );
  }
  specs.push({ name: 'model.transformer.ln_f.weight', shape: [c.d] }, { name: 'model.transformer.ff_out.weight', shape: [c.vocab, c.d] });
  return specs;
}

/** Small random bf16 values (|x| in [2^-7, 2^-6)), generated and written in 64 MiB pieces. */
function writeRandomBf16(fd: number, elements: number): void {
  const piece = 32 * 1024 * 1024;
  for (let done = 0; done < elements; done += piece) {
    const words = new Uint16Array(Math.min(piece, elements - done));
    randomFillSync(words);
    for (let i = 0; i < words.length; i++) words[i] = (words[i]! & 0x807f) | 0x3c00;
    writeSync(fd, words);
  }
}

function writeCheckpoint(dir: string, layers: number): number {
  const c = { d: 2048, layers, mlp: 5632, vocab: 32000 };
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'llada', architectures: ['LLaDAModelLM'], d_model: c.d, n_heads: 16, n_kv_heads: 16, n_layers: c.layers, mlp_hidden_size: c.mlp,
      vocab_size: c.vocab, embedding_size: c.vocab, rope_theta: 500000, rms_norm_eps: 1e-5, max_sequence_length: 4096, weight_tying: false,
      block_type: 'llama', mask_token_id: 3, eos_token_id: 2, pad_token_id: 2,
    }),
  );
  const vocab = Object.fromEntries(['<unk>', '<|startoftext|>', '<|endoftext|>', '<|mdm_mask|>', 'hello'].map((t, i) => [t, i]));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: { type: 'WhitespaceSplit' }, post_processor: null, decoder: null, model: { type: 'WordLevel', vocab, unk_token: '<unk>' } }));
  // Shards of about SHARD_BYTES each, one tensor at a time.
  const shards: Spec[][] = [[]];
  let bytes = 0;
  for (const spec of lladaTensors(c)) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * 2;
    if (bytes + size > SHARD_BYTES && shards[shards.length - 1]!.length > 0) {
      shards.push([]);
      bytes = 0;
    }
    shards[shards.length - 1]!.push(spec);
    bytes += size;
  }
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((specs, s) => {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const spec of specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1) * 2;
      header[spec.name] = { dtype: 'BF16', shape: spec.shape, data_offsets: [offset, offset + size] };
      weightMap[spec.name] = file;
      offset += size;
    }
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const fd = openSync(join(dir, file), 'w');
    writeSync(fd, length);
    writeSync(fd, json);
    for (const spec of specs) writeRandomBf16(fd, spec.shape.reduce((a, b) => a * b, 1));
    closeSync(fd);
    total += statSync(join(dir, file)).size;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }));
  return total;
}

const folderBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

const { values } = parseArgs({
  options: { layers: { type: 'string', default: '20' }, keep: { type: 'boolean' }, load: { type: 'boolean' }, child: { type: 'string', multiple: true }, 'load-child': { type: 'string' }, weights: { type: 'string', default: 'fp32' }, external: { type: 'boolean' } },
});
if (values['load-child']) {
  const started = Date.now();
  const bundle = await loadBundle(values['load-child'], { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  const loaded = (Date.now() - started) / 1000;
  const rssAfterLoad = process.memoryUsage().rss;
  const ids = [1, 4, 3, 3, 3, 3, 3, 2];
  const [row] = await bundle.model.forward([{ inputIds: ids, positionIds: ids.map((_, i) => i), logitsIndices: [2, 3] }]);
  const finite = Array.from(row!.logits).every(Number.isFinite);
  const forward = (Date.now() - started) / 1000 - loaded;
  const long = Array.from({ length: 64 }, (_, i) => [1, 4, 3][i % 3]!);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = Date.now();
    await bundle.model.forward([{ inputIds: long, positionIds: long.map((_, j) => j), logitsIndices: [60, 61, 62, 63] }]);
    times.push((Date.now() - t) / 1000);
  }
  await bundle.close();
  const forward64 = times.sort((a, b) => a - b)[1]!;
  process.stdout.write(JSON.stringify({ loaded, rssAfterLoad, forward, forward64, logits: row!.logits.length, finite, maxRssKiB: process.resourceUsage().maxRSS }));
} else if (values.child) {
  const [from, to] = values.child as [string, string];
  const started = Date.now();
  convertCheckpoint({ from, to, weights: values.weights as WeightFormat, ...(values.external ? { externalDataThreshold: 0 } : {}) });
  process.stdout.write(JSON.stringify({ seconds: (Date.now() - started) / 1000, maxRssKiB: process.resourceUsage().maxRSS }));
} else {
  const work = mkdtempSync(join(tmpdir(), 'unmask-convert-memory-'));
  try {
    const from = join(work, 'checkpoint');
    mkdirSync(from);
    const checkpointBytes = writeCheckpoint(from, Number(values.layers));
    console.log(`checkpoint (bf16, ${values.layers} layers): ${gib(checkpointBytes)}`);
    for (const weights of values.weights.split(',')) {
      const to = join(work, `bundle-${weights}`);
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', from, '--child', to, '--weights', weights, ...(values.external ? ['--external'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (child.status !== 0) throw new Error(`conversion failed (exit ${child.status})`);
      const { seconds, maxRssKiB } = JSON.parse(child.stdout) as { seconds: number; maxRssKiB: number };
      const peak = maxRssKiB * 1024;
      console.log(`bundle (${weights}): ${gib(folderBytes(to))} [${readdirSync(to).join(', ')}]`);
      console.log(`  conversion: ${seconds.toFixed(1)} s, peak RSS ${gib(peak)} (${((100 * peak) / checkpointBytes).toFixed(1)}% of the checkpoint)`);
      if (values.load) {
        const load = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--load-child', to], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        if (load.status !== 0) throw new Error(`loading the bundle failed (exit ${load.status})`);
        const r = JSON.parse(load.stdout) as { loaded: number; rssAfterLoad: number; forward: number; forward64: number; logits: number; finite: boolean; maxRssKiB: number };
        console.log(`  loadBundle: ${r.loaded.toFixed(1)} s, RSS after it ${gib(r.rssAfterLoad)}, first forward (8 tokens, 2 logit rows): ${r.forward.toFixed(2)} s, all finite: ${r.finite}; 64-token forward ${r.forward64.toFixed(2)} s (median of 3); peak RSS ${gib(r.maxRssKiB * 1024)}`);
      }
      if (!values.keep) rmSync(to, { recursive: true, force: true });
    }
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The cross-request prefix cache at real width: a second question about the same 1024-position
 * prompt against the first, on a LLaDA-8B-width bundle with a few layers (the real-width
 * benchmark's synthetic checkpoint, converted by `unmask convert`). Interleaved runs of
 *   - no prefix cache (cache `prefix`, today's per-request path),
 *   - the first question with an empty prefix cache (a miss: one pass over the shared prefix),
 *   - a second question with another ending (a hit),
 * and the second question's answer against the same question without the prefix cache.
 *
 *   npm run bench:prefix-gain [-- --bundle DIR] [--format int8 --layers 2 --prompt 1024 --question 16]
 *   (--tiny: tiny widths of the same layout, a smoke run of the harness)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DecodingEngine, type GenerateRequest, PrefixCache, loadBundle } from '@unmask/core';
import { writeCheckpoint } from '@unmask/convert/synthetic-checkpoint';
import { benchTokens } from './engine-protocol.js';
import { SHAPES, tinyShape } from './shapes.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const { values } = parseArgs({
  options: {
    bundle: { type: 'string' },
    format: { type: 'string', default: 'int8' },
    layers: { type: 'string', default: '2' },
    prompt: { type: 'string', default: '1024' },
    question: { type: 'string', default: '16' },
    answer: { type: 'string', default: '32' },
    steps: { type: 'string', default: '8' },
    runs: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    work: { type: 'string', default: join(ROOT, 'tmp', 'bench-prefix-gain', 'work') },
    out: { type: 'string', default: join(ROOT, 'tmp', 'bench-prefix-gain') },
    tiny: { type: 'boolean', default: false },
  },
});
const n = (k: keyof typeof values) => Number(values[k]);
const log = (line: string) => console.error(line);
const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const uptimeAtStart = uptime();

let bundleDir = values.bundle;
if (!bundleDir) {
  const checkpoint = join(values.work, 'checkpoint');
  bundleDir = join(values.work, `bundle-${values.format}`);
  if (!existsSync(join(bundleDir, 'manifest.json'))) {
    log(`writing a LLaDA-8B-width checkpoint with ${values.layers} layers and converting it (${values.format})`);
    rmSync(values.work, { recursive: true, force: true });
    mkdirSync(values.work, { recursive: true });
    writeCheckpoint(checkpoint, values.tiny ? tinyShape('llada') : SHAPES.llada, n('layers'));
    const cli = join(ROOT, 'apps', 'cli', 'bin', 'unmask.mjs');
    const args = [cli, 'convert', '--from', checkpoint, '--to', bundleDir, '--weights', values.format!];
    const done = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (done.status !== 0) throw new Error('unmask convert failed');
    rmSync(checkpoint, { recursive: true, force: true });
  }
}

const bundle = await loadBundle(bundleDir, { poolSize: 1, sessionOptions: { intraOpNumThreads: n('threads') } });
const { vocabSize } = bundle.model.info;
const prompt = n('prompt');
const shared = prompt - n('question');
// Two prompts with the same first `shared` tokens (an image's rows, a document) and different questions.
const base = benchTokens(prompt, vocabSize);
const question = (k: number) => [...base.slice(0, shared), ...base.slice(shared).map((t) => t + 17 * k)];
const request = (k: number, sharedPrefix: number): GenerateRequest => ({
  promptIds: question(k),
  maxTokens: n('answer'),
  strategy: { name: 'low_confidence', steps: n('steps') },
  cache: 'prefix',
  sharedPrefix,
});

interface Timed {
  ms: number;
  passes: number;
  canvas: number[];
}
const timed = async (engine: DecodingEngine, r: GenerateRequest): Promise<Timed> => {
  const t = performance.now();
  const result = await engine.generate(r).result;
  return { ms: performance.now() - t, passes: result.forwardPasses, canvas: result.canvas };
};

const plain = new DecodingEngine(bundle.model);
log(`warm-up (${bundleDir})`);
await timed(plain, { ...request(1, 0), promptIds: question(1).slice(0, 64) });
const rows: { uncached: number; first: number; second: number; secondUncached: number; same: number }[] = [];
for (let run = 0; run < n('runs'); run++) {
  const uncached = await timed(plain, request(1, 0));
  const store = new PrefixCache(1 << 30);
  const cached = new DecodingEngine(bundle.model, { prefixCache: store });
  const first = await timed(cached, request(1, shared));
  const second = await timed(cached, request(2, shared));
  const secondUncached = await timed(plain, request(2, 0));
  const same = second.canvas.filter((t, i) => t === secondUncached.canvas[i]).length / second.canvas.length;
  rows.push({ uncached: uncached.ms, first: first.ms, second: second.ms, secondUncached: secondUncached.ms, same });
  log(
    `run ${run + 1}: no prefix cache ${(uncached.ms / 1000).toFixed(2)} s (${uncached.passes} passes), first ${(first.ms / 1000).toFixed(2)} s, second ${(second.ms / 1000).toFixed(2)} s (${second.passes} passes), second without the cache ${(secondUncached.ms / 1000).toFixed(2)} s; answers equal at ${(100 * same).toFixed(0)}% of positions; cache ${(store.stats().bytes / 2 ** 20).toFixed(1)} MiB`,
  );
  store.clear();
}
await bundle.close();

const m = (k: 'uncached' | 'first' | 'second' | 'secondUncached') => median(rows.map((r) => r[k])) / 1000;
const summary = {
  bundle: bundleDir,
  layers: bundle.manifest.sizes.num_layers,
  prompt,
  shared,
  answer: n('answer'),
  steps: n('steps'),
  threads: n('threads'),
  runs: rows,
  medianSeconds: {
    uncached: m('uncached'),
    first: m('first'),
    second: m('second'),
    secondUncached: m('secondUncached'),
  },
  gainSecondVsUncached: m('secondUncached') / m('second'),
  gainSecondVsFirst: m('first') / m('second'),
  load: { start: uptimeAtStart, end: uptime(), loadavg: loadavg() },
};
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'prefix-gain.json'), `${JSON.stringify(summary, null, 1)}\n`);
log(
  `second question ${summary.gainSecondVsUncached.toFixed(2)}× faster than without the prefix cache (${m('secondUncached').toFixed(2)} → ${m('second').toFixed(2)} s), ${summary.gainSecondVsFirst.toFixed(2)}× faster than the first (${m('first').toFixed(2)} s); ${uptimeAtStart} → ${summary.load.end}`,
);

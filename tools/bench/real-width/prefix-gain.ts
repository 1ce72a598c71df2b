/**
 * The cross-request prefix cache at real width: a second question about the same 1024-position
 * prompt against the first, on a LLaDA-8B-width bundle with a few layers (the real-width
 * benchmark's synthetic checkpoint, converted by `unmask convert`). Interleaved runs of
 *   - no prefix cache (cache `prefix`, today's per-request path),
 *   - the first question with an empty prefix cache (a miss: one pass over the shared prefix),
 *   - a second question with another ending (a hit),
 * and the second question's answer against the same question without the prefix cache. Before
 * the timed runs, one forward without decoding: the second question's first pass in full, with the
 * prompt's keys/values kept from that full pass (exact up to float error), and with the prefix
 * computed alone (the cross-request cache's semantics): logit differences and argmax agreement.
 *
 *   npm run bench:prefix-gain [-- --bundle DIR] [--format int8 --layers 2,4 --prompt 1024 --question 16]
 *   (--layers: one bundle per depth, the runs interleaved across them in one process)
 *   (--tiny: tiny widths of the same layout, a smoke run of the harness)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Bundle, DecodingEngine, type GenerateRequest, PrefixCache, loadBundle } from '@unmask/core';
import { writeCheckpoint } from '@unmask/convert/synthetic-checkpoint';
import { benchTokens } from './engine-protocol.js';
import { SHAPES, tinyShape } from './shapes.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const { values } = parseArgs({
  options: {
    bundle: { type: 'string' },
    format: { type: 'string', default: 'int8' },
    layers: { type: 'string', default: '2,4' },
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

const depths = values.bundle ? [undefined] : values.layers!.split(',').map(Number);
if (depths.some((d) => d !== undefined && (!Number.isInteger(d) || d < 1)))
  throw new Error(`--layers: a comma-separated list of positive integers, got ${values.layers}`);

/** The bundle of one depth: given, or written and converted under the work folder. */
function bundleOf(layers: number | undefined): string {
  if (layers === undefined) return values.bundle!;
  const work = join(values.work, `layers-${layers}`);
  const checkpoint = join(work, 'checkpoint');
  const dir = join(work, `bundle-${values.format}`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    log(`writing a LLaDA-8B-width checkpoint with ${layers} layers and converting it (${values.format})`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeCheckpoint(checkpoint, values.tiny ? tinyShape('llada') : SHAPES.llada, layers);
    const cli = join(ROOT, 'apps', 'cli', 'bin', 'unmask.mjs');
    const args = [cli, 'convert', '--from', checkpoint, '--to', dir, '--weights', values.format!];
    const done = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (done.status !== 0) throw new Error('unmask convert failed');
    rmSync(checkpoint, { recursive: true, force: true });
  }
  return dir;
}

const bundles: Bundle[] = [];
for (const layers of depths)
  bundles.push(
    // Every question keeps a cache: the key/value outputs are loaded up front, not timed with the first one.
    await loadBundle(bundleOf(layers), {
      poolSize: 1,
      sessionOptions: { intraOpNumThreads: n('threads') },
      keyValueOutputs: 'always',
    }),
  );
const { vocabSize } = bundles[0]!.model.info;
const prompt = n('prompt');
const shared = prompt - n('question');
const answer = n('answer');
// Two prompts with the same first `shared` tokens (an image's rows, a document) and different questions.
const base = benchTokens(prompt, vocabSize);
const question = (k: number) => [...base.slice(0, shared), ...base.slice(shared).map((t) => t + 17 * k)];
const request = (k: number, sharedPrefix: number): GenerateRequest => ({
  promptIds: question(k),
  maxTokens: answer,
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

/** Argmax per logit row, and the gap between the two largest logits. */
function tops(logits: Float32Array, rows: number): { argmax: number[]; gap: number[] } {
  const argmax: number[] = [];
  const gap: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = -Infinity;
    let second = -Infinity;
    let at = 0;
    for (let v = 0; v < vocabSize; v++) {
      const x = logits[r * vocabSize + v]!;
      if (x > best) {
        second = best;
        best = x;
        at = v;
      } else if (x > second) second = x;
    }
    argmax.push(at);
    gap.push(best - second);
  }
  return { argmax, gap };
}
const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
const agreement = (a: number[], b: number[]) => a.filter((x, i) => x === b[i]).length / a.length;

/**
 * One forward, no decoding: the second question's first pass (prompt + all-mask answer, logits at
 * the answer) three ways: a full pass; the prompt's keys/values kept from that full pass and the
 * answer recomputed against them (what the per-request cache does: exact up to float error); the
 * prefix computed alone and the rest against it (the cross-request cache's semantics).
 */
async function oneForward(model: Bundle['model']) {
  const mask = model.info.maskTokenId;
  const ids = [...question(2), ...Array<number>(answer).fill(mask)];
  const positions = ids.map((_, i) => i);
  const answerRows = Array.from({ length: answer }, (_, a) => prompt + a);
  const [full] = await model.forward([
    { inputIds: ids, positionIds: positions, logitsIndices: answerRows, keep: [[0, prompt]] },
  ]);
  // The positions from `from` on, answered against the keys/values kept for those before them.
  const answerAgainst = async (from: number, past: NonNullable<typeof full>['cache']) => {
    const [out] = await model.forward([
      {
        inputIds: ids.slice(from),
        positionIds: positions.slice(from),
        past: past!,
        logitsIndices: answerRows.map((p) => p - from),
      },
    ]);
    past!.release();
    return out;
  };
  const kept = await answerAgainst(prompt, full!.cache);
  const [prefix] = await model.forward([
    {
      inputIds: ids.slice(0, shared),
      positionIds: positions.slice(0, shared),
      logitsIndices: [shared - 1],
      keep: [[0, shared]],
    },
  ]);
  const alone = await answerAgainst(shared, prefix!.cache);
  const f = tops(full!.logits, answer);
  const k = tops(kept!.logits, answer);
  const a = tops(alone!.logits, answer);
  const sorted = [...f.gap].sort((x, y) => x - y);
  return {
    keptVsFull: { maxAbsLogit: maxAbs(kept!.logits, full!.logits), argmaxAgreement: agreement(k.argmax, f.argmax) },
    prefixAloneVsFull: {
      maxAbsLogit: maxAbs(alone!.logits, full!.logits),
      argmaxAgreement: agreement(a.argmax, f.argmax),
    },
    fullTopGap: { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! },
    fullLogitRange: [full!.logits.reduce((a, b) => Math.min(a, b)), full!.logits.reduce((a, b) => Math.max(a, b))],
    distinctArgmaxFull: new Set(f.argmax).size,
  };
}

const perDepth = bundles.map((bundle) => ({
  bundle,
  layers: bundle.manifest.sizes.num_layers,
  plain: new DecodingEngine(bundle.model),
  rows: [] as { uncached: number; first: number; second: number; secondUncached: number; same: number }[],
  oneForward: undefined as Awaited<ReturnType<typeof oneForward>> | undefined,
}));
for (const d of perDepth) {
  log(`warm-up (${d.layers} layers)`);
  await timed(d.plain, { ...request(1, 0), promptIds: question(1).slice(0, 64) });
  d.oneForward = await oneForward(d.bundle.model);
  log(`${d.layers} layers, one forward: ${JSON.stringify(d.oneForward)}`);
}
// Runs interleaved: run 1 at every depth, then run 2, ...
for (let run = 0; run < n('runs'); run++) {
  for (const d of perDepth) {
    const uncached = await timed(d.plain, request(1, 0));
    const store = new PrefixCache(1 << 30);
    const cached = new DecodingEngine(d.bundle.model, { prefixCache: store });
    const first = await timed(cached, request(1, shared));
    const second = await timed(cached, request(2, shared));
    const secondUncached = await timed(d.plain, request(2, 0));
    const same = second.canvas.filter((t, i) => t === secondUncached.canvas[i]).length / second.canvas.length;
    d.rows.push({ uncached: uncached.ms, first: first.ms, second: second.ms, secondUncached: secondUncached.ms, same });
    log(
      `run ${run + 1}, ${d.layers} layers: no prefix cache ${(uncached.ms / 1000).toFixed(2)} s (${uncached.passes} passes), first ${(first.ms / 1000).toFixed(2)} s, second ${(second.ms / 1000).toFixed(2)} s (${second.passes} passes), second without the cache ${(secondUncached.ms / 1000).toFixed(2)} s; answers equal at ${(100 * same).toFixed(0)}% of positions; cache ${(store.stats().bytes / 2 ** 20).toFixed(1)} MiB; ${uptime()}`,
    );
    store.clear();
  }
}
for (const d of perDepth) await d.bundle.close();

type Key = 'uncached' | 'first' | 'second' | 'secondUncached';
const summaries = perDepth.map((d) => {
  const m = (k: Key) => median(d.rows.map((r) => r[k])) / 1000;
  return {
    bundle: d.bundle.dir,
    layers: d.layers,
    runs: d.rows,
    medianSeconds: {
      uncached: m('uncached'),
      first: m('first'),
      second: m('second'),
      secondUncached: m('secondUncached'),
    },
    gainSecondVsUncached: m('secondUncached') / m('second'),
    gainSecondVsFirst: m('first') / m('second'),
    oneForward: d.oneForward,
  };
});
const summary = {
  prompt,
  shared,
  answer,
  steps: n('steps'),
  threads: n('threads'),
  format: values.format,
  depths: summaries,
  load: { start: uptimeAtStart, end: uptime(), loadavg: loadavg() },
};
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'prefix-gain.json'), `${JSON.stringify(summary, null, 1)}\n`);
for (const s of summaries)
  log(
    `${s.layers} layers: second question ${s.gainSecondVsUncached.toFixed(2)}× faster than without the prefix cache (${s.medianSeconds.secondUncached.toFixed(2)} → ${s.medianSeconds.second.toFixed(2)} s), ${s.gainSecondVsFirst.toFixed(2)}× faster than the first (${s.medianSeconds.first.toFixed(2)} s)`,
  );
log(`${uptimeAtStart} → ${summary.load.end}`);

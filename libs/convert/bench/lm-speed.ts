/**
 * Forward time and memory of converted LM bundles at a real model's width, per weight format and
 * per operator set (standard ONNX operators or onnxruntime's contrib operators), on a synthetic
 * LLaDA-layout checkpoint of random bf16 weights (no real checkpoint is available offline):
 *
 *   node --import tsx libs/convert/bench/lm-speed.ts [--d 4096 --heads 32 --mlp 12288 --layers 2 --vocab 512]
 *     [--weights fp32,int8,int4] [--ops standard,contrib] [--seqs 64,256] [--logits 32] [--runs 3] [--threads 1]
 *
 * The checkpoint is written once; each (format, operators) pair is converted in a child process
 * (its time and peak RSS measured alone). The bundles of one format are then loaded with
 * loadBundle together in another child (the RSS each adds is reported), which runs one warm-up
 * and `runs` timed forwards per segment length (one row, positions 0..S−1, `logits` logit rows at
 * the end of the segment, as a diffusion block asks), alternating between the bundles so that
 * both operator sets see the same machine load, and reports the medians. With a small `--vocab`
 * the time is the layers' (the head costs logits × d × vocab); divide by `--layers` for one layer.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundle } from '@unmask/core';
import { convertCheckpoint, type LmOps, type WeightFormat } from '../src/index.js';
import { lladaShape, writeCheckpoint } from './synthetic-checkpoint.js';

const { values } = parseArgs({
  options: {
    d: { type: 'string', default: '4096' },
    heads: { type: 'string', default: '32' },
    mlp: { type: 'string', default: '12288' },
    layers: { type: 'string', default: '2' },
    vocab: { type: 'string', default: '512' },
    weights: { type: 'string', default: 'fp32,int8,int4' },
    ops: { type: 'string', default: 'standard,contrib' },
    seqs: { type: 'string', default: '64,256' },
    logits: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    convert: { type: 'string', multiple: true },
    load: { type: 'string' },
    format: { type: 'string' },
    'ops-one': { type: 'string' },
  },
});
const seqs = values.seqs.split(',').map(Number);
const logits = Number(values.logits);
const runs = Number(values.runs);
const threads = Number(values.threads);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
const folderBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

interface LoadResult {
  readonly loadSeconds: number;
  readonly rssAfterLoad: number;
  readonly forward: Record<string, number>;
  readonly maxRssKiB: number;
}

function child(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

if (values.convert) {
  const [from, to] = values.convert as [string, string];
  const started = Date.now();
  convertCheckpoint({ from, to, weights: values.format as WeightFormat, ops: values['ops-one'] as LmOps });
  process.stdout.write(
    JSON.stringify({ seconds: (Date.now() - started) / 1000, maxRssKiB: process.resourceUsage().maxRSS }),
  );
} else if (values.load) {
  // Every bundle of one format at once, their forwards interleaved (A, B, A, B, …) so that a
  // change in the machine's load hits each operator set alike.
  const dirs = values.load.split(',');
  const results: LoadResult[] = [];
  const bundles = [];
  for (const dir of dirs) {
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    bundles.push(await loadBundle(dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: threads } }));
    results.push({
      loadSeconds: (Date.now() - started) / 1000,
      rssAfterLoad: process.memoryUsage().rss - rssBefore,
      forward: {},
      maxRssKiB: 0,
    });
  }
  for (const seq of seqs) {
    const ids = Array.from({ length: seq }, (_, i) => [1, 4, 3][i % 3]!);
    const positions = ids.map((_, i) => i);
    const wanted = positions.slice(Math.max(0, seq - logits));
    const times: number[][] = bundles.map(() => []);
    for (let r = 0; r <= runs; r++) {
      for (const [b, bundle] of bundles.entries()) {
        const t = process.hrtime.bigint();
        const [row] = await bundle.model.forward([{ inputIds: ids, positionIds: positions, logitsIndices: wanted }]);
        if (!Array.from(row!.logits.subarray(0, 64)).every(Number.isFinite)) throw new Error('non-finite logits');
        if (r > 0) times[b]!.push(Number(process.hrtime.bigint() - t) / 1e9);
      }
    }
    times.forEach((t, b) => (results[b]!.forward[seq] = median(t)));
  }
  await Promise.all(bundles.map((b) => b.close()));
  const maxRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify(results.map((r) => ({ ...r, maxRssKiB }))));
} else {
  const shape = {
    d: Number(values.d),
    heads: Number(values.heads),
    layers: Number(values.layers),
    mlp: Number(values.mlp),
    vocab: Number(values.vocab),
  };
  const work = mkdtempSync(join(tmpdir(), 'unmask-lm-speed-'));
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  try {
    const from = join(work, 'checkpoint');
    mkdirSync(from);
    const { bytes } = writeCheckpoint(from, lladaShape(shape), shape.layers, 1024 ** 3);
    console.log(
      `checkpoint: LLaDA layout, d ${shape.d}, ${shape.heads} heads, MLP ${shape.mlp}, ${shape.layers} layers, vocabulary ${shape.vocab}: ${gib(bytes)} bf16`,
    );
    console.log(
      `one intra-op thread${threads === 1 ? '' : `s: ${threads}`}; forward: 1 row, ${logits} logit rows, median of ${runs} after a warm-up; load average at start ${load()}`,
    );
    const rows: Record<string, unknown>[] = [];
    for (const weights of values.weights.split(',') as WeightFormat[]) {
      const opsList = values.ops.split(',') as LmOps[];
      const dirs = opsList.map((ops) => join(work, `bundle-${weights}-${ops}`));
      const converted = opsList.map((ops, i) => ({
        ...(JSON.parse(child(['--convert', from, '--convert', dirs[i]!, '--format', weights, '--ops-one', ops])) as {
          seconds: number;
          maxRssKiB: number;
        }),
        bundleBytes: folderBytes(dirs[i]!),
      }));
      const loaded = JSON.parse(
        child([
          '--load',
          dirs.join(','),
          '--seqs',
          values.seqs,
          '--logits',
          values.logits,
          '--runs',
          values.runs,
          '--threads',
          values.threads,
        ]),
      ) as LoadResult[];
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      opsList.forEach((ops, i) => {
        const c = converted[i]!;
        const l = loaded[i]!;
        const times = seqs.map((s) => `S=${s}: ${l.forward[s]!.toFixed(3)} s`).join(', ');
        console.log(
          `${weights} ${ops}: bundle ${gib(c.bundleBytes)}; conversion ${c.seconds.toFixed(1)} s, peak RSS ${gib(c.maxRssKiB * 1024)}; ` +
            `load ${l.loadSeconds.toFixed(1)} s, RSS added by the bundle ${gib(l.rssAfterLoad)}; forward ${times} (load average ${load()})`,
        );
        rows.push({ weights, ops, convert: c, ...l });
      });
      console.log(
        `  peak RSS of the process holding the ${opsList.length} bundles: ${gib(loaded[0]!.maxRssKiB * 1024)}`,
      );
    }
    console.log(JSON.stringify({ shape, logits, runs, threads, rows }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

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
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundle } from '@unmask/core';
import { convertCheckpoint, type WeightFormat } from '../src/index.js';
import { lladaShape, writeCheckpoint } from './synthetic-checkpoint.js';

const folderBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '20' },
    keep: { type: 'boolean' },
    load: { type: 'boolean' },
    child: { type: 'string', multiple: true },
    'load-child': { type: 'string' },
    weights: { type: 'string', default: 'fp32' },
    external: { type: 'boolean' },
  },
});
if (values['load-child']) {
  const started = Date.now();
  const bundle = await loadBundle(values['load-child'], { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  const loaded = (Date.now() - started) / 1000;
  const rssAfterLoad = process.memoryUsage().rss;
  const ids = [1, 4, 3, 3, 3, 3, 3, 2];
  const [row] = await bundle.model.forward([
    { inputIds: ids, positionIds: ids.map((_, i) => i), logitsIndices: [2, 3] },
  ]);
  const finite = Array.from(row!.logits).every(Number.isFinite);
  const forward = (Date.now() - started) / 1000 - loaded;
  const long = Array.from({ length: 64 }, (_, i) => [1, 4, 3][i % 3]!);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = Date.now();
    await bundle.model.forward([
      { inputIds: long, positionIds: long.map((_, j) => j), logitsIndices: [60, 61, 62, 63] },
    ]);
    times.push((Date.now() - t) / 1000);
  }
  await bundle.close();
  const forward64 = times.sort((a, b) => a - b)[1]!;
  process.stdout.write(
    JSON.stringify({
      loaded,
      rssAfterLoad,
      forward,
      forward64,
      logits: row!.logits.length,
      finite,
      maxRssKiB: process.resourceUsage().maxRSS,
    }),
  );
} else if (values.child) {
  const [from, to] = values.child as [string, string];
  const started = Date.now();
  convertCheckpoint({
    from,
    to,
    weights: values.weights as WeightFormat,
    ...(values.external ? { externalDataThreshold: 0 } : {}),
  });
  process.stdout.write(
    JSON.stringify({ seconds: (Date.now() - started) / 1000, maxRssKiB: process.resourceUsage().maxRSS }),
  );
} else {
  const work = mkdtempSync(join(tmpdir(), 'unmask-convert-memory-'));
  try {
    const from = join(work, 'checkpoint');
    mkdirSync(from);
    const { bytes: checkpointBytes } = writeCheckpoint(
      from,
      lladaShape({ d: 2048, heads: 16, mlp: 5632, vocab: 32000 }),
      Number(values.layers),
      1024 ** 3,
    );
    console.log(`checkpoint (bf16, ${values.layers} layers): ${gib(checkpointBytes)}`);
    for (const weights of values.weights.split(',')) {
      const to = join(work, `bundle-${weights}`);
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--child',
          from,
          '--child',
          to,
          '--weights',
          weights,
          ...(values.external ? ['--external'] : []),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (child.status !== 0) throw new Error(`conversion failed (exit ${child.status})`);
      const { seconds, maxRssKiB } = JSON.parse(child.stdout) as { seconds: number; maxRssKiB: number };
      const peak = maxRssKiB * 1024;
      console.log(`bundle (${weights}): ${gib(folderBytes(to))} [${readdirSync(to).join(', ')}]`);
      console.log(
        `  conversion: ${seconds.toFixed(1)} s, peak RSS ${gib(peak)} (${((100 * peak) / checkpointBytes).toFixed(1)}% of the checkpoint)`,
      );
      if (values.load) {
        const load = spawnSync(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(import.meta.url), '--load-child', to],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        if (load.status !== 0) throw new Error(`loading the bundle failed (exit ${load.status})`);
        const r = JSON.parse(load.stdout) as {
          loaded: number;
          rssAfterLoad: number;
          forward: number;
          forward64: number;
          logits: number;
          finite: boolean;
          maxRssKiB: number;
        };
        console.log(
          `  loadBundle: ${r.loaded.toFixed(1)} s, RSS after it ${gib(r.rssAfterLoad)}, first forward (8 tokens, 2 logit rows): ${r.forward.toFixed(2)} s, all finite: ${r.finite}; 64-token forward ${r.forward64.toFixed(2)} s (median of 3); peak RSS ${gib(r.maxRssKiB * 1024)}`,
        );
      }
      if (!values.keep) rmSync(to, { recursive: true, force: true });
    }
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The benchmark's unmask engine process: loads a converted bundle with `loadBundle` (one
 * worker, `--threads` intra-op threads) and serves forwards over the line protocol.
 *
 *   node --import tsx tools/bench/real-width/unmask-engine.ts --bundle DIR --threads N
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { loadBundle } from '@unmask/core';
import { benchTokens, processMemory, serveEngine } from './engine-protocol.js';

const { values } = parseArgs({ options: { bundle: { type: 'string' }, threads: { type: 'string', default: '2' } } });
if (!values.bundle) throw new Error('--bundle is required');

const ortVersion = (
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'), 'utf8')) as {
    version: string;
  }
).version;

const baseline = processMemory();
const started = performance.now();
const bundle = await loadBundle(values.bundle, {
  poolSize: 1,
  sessionOptions: { intraOpNumThreads: Number(values.threads) },
});
const loadSeconds = (performance.now() - started) / 1000;
const vocab = bundle.model.info.vocabSize;
process.stdout.write(
  `${JSON.stringify({
    ready: true,
    loadSeconds,
    baselineRss: baseline.rss,
    ...processMemory(),
    engine: `unmask (onnxruntime-node ${ortVersion})`,
  })}\n`,
);

await serveEngine({
  async forward(positions, logits, rows) {
    const ids = benchTokens(positions, vocab);
    const positionIds = ids.map((_, i) => i);
    const wanted = positionIds.slice(Math.max(0, positions - logits));
    const batch = Array.from({ length: rows }, () => ({ inputIds: ids, positionIds, logitsIndices: wanted }));
    const t = performance.now();
    const [first] = await bundle.model.forward(batch);
    const seconds = (performance.now() - t) / 1000;
    const argmax: number[] = [];
    for (let r = 0; r < wanted.length; r++) {
      const row = first!.logits.subarray(r * vocab, (r + 1) * vocab);
      let best = 0;
      for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
      argmax.push(best);
    }
    return { seconds, argmax };
  },
  close: () => bundle.close(),
});

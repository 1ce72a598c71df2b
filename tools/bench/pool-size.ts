/**
 * `--sweep-session`'s pool size: the batching workload (every client one request, maxBatchSize 8)
 * through the bundle loaded with 1 and with 2 sessions, in the order 1, 2, 2, 1 so that drift in
 * load falls on both alike.
 */
import { loadBundle } from '@unmask/core';
import { measureThroughput } from './batching.js';
import type { PreparedPrompt } from './grid.js';
import type { BenchResult } from './result.js';
import { mean } from './stats.js';

export type PoolSizeResult = NonNullable<BenchResult['sweep']>['poolSize'][number];

export async function measurePoolSizes(
  modelDir: string,
  sample: readonly PreparedPrompt[],
  options: { threads: number; clients: number; canvas: number; strategy: unknown },
  onHalf: () => void,
): Promise<PoolSizeResult[]> {
  const totals = new Map<number, { requests: number; seconds: number; latencies: number[] }>();
  for (const size of [1, 2, 2, 1]) {
    const bundle = await loadBundle(modelDir, {
      poolSize: size,
      sessionOptions: { intraOpNumThreads: options.threads },
    });
    try {
      const t = await measureThroughput(
        bundle.model,
        sample,
        {
          maxBatchSize: 8,
          clients: options.clients,
          requestsPerClient: 1,
          canvas: options.canvas,
          strategy: options.strategy,
          cache: 'none',
        },
        () => {},
      );
      const total = totals.get(size) ?? { requests: 0, seconds: 0, latencies: [] };
      totals.set(size, {
        requests: total.requests + t.requests,
        seconds: total.seconds + t.seconds,
        latencies: [...total.latencies, t.latencyP50Ms],
      });
    } finally {
      await bundle.close();
    }
    onHalf();
  }
  return [...totals.entries()].map(([size, t]) => ({
    poolSize: size,
    requestsPerSecond: t.requests / t.seconds,
    latencyP50Ms: mean(t.latencies),
  }));
}

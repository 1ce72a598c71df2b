/**
 * Throughput under concurrent clients: `clients` loops, each sending its requests one after
 * another to one DecodingEngine (the engine the API serves from), so at most `clients`
 * requests are in flight. Compares maxBatchSize settings on the same prompts, each after an
 * uncounted warm-up of one batch.
 */
import { DecodingEngine, type LanguageModel } from '@unmask/core';
import type { PreparedPrompt } from './grid.js';
import { quantile } from './stats.js';

export interface ThroughputResult {
  readonly maxBatchSize: number;
  readonly clients: number;
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly forwardPasses: number;
  /** Mean rows per forward pass the engine ran. */
  readonly rowsPerPass: number;
  /** Mean wall time of one (batched) forward pass, ms. */
  readonly passMs: number;
}

export async function measureThroughput(
  model: LanguageModel & { take?: () => { rows: number; ms: number }[] },
  prompts: readonly PreparedPrompt[],
  options: {
    maxBatchSize: number;
    clients: number;
    requestsPerClient: number;
    canvas: number;
    strategy: unknown;
    cache: 'none' | 'prefix' | 'dual';
  },
  onRequest: () => void,
): Promise<ThroughputResult> {
  const engine = new DecodingEngine(model, { maxBatchSize: options.maxBatchSize });
  // Warm-up, not counted: the first batched passes of new shapes pay onnxruntime's allocations.
  await Promise.all(
    prompts.slice(0, options.maxBatchSize).map(
      (p) =>
        engine.generate({
          promptIds: p.promptIds,
          embeddings: p.embeddings,
          maxTokens: options.canvas,
          strategy: options.strategy,
          cache: options.cache,
        }).result,
    ),
  );
  model.take?.();
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      for (let i = 0; i < options.requestsPerClient; i++) {
        const p = prompts[next++ % prompts.length]!;
        const t0 = performance.now();
        await engine.generate({
          promptIds: p.promptIds,
          embeddings: p.embeddings,
          maxTokens: options.canvas,
          strategy: options.strategy,
          cache: options.cache,
        }).result;
        latencies.push(performance.now() - t0);
        onRequest();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const passes = model.take?.() ?? [];
  return {
    maxBatchSize: options.maxBatchSize,
    clients: options.clients,
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    latencyP50Ms: quantile(latencies, 0.5),
    latencyP95Ms: quantile(latencies, 0.95),
    forwardPasses: passes.length,
    rowsPerPass: passes.length ? passes.reduce((s, p) => s + p.rows, 0) / passes.length : NaN,
    passMs: passes.length ? passes.reduce((s, p) => s + p.ms, 0) / passes.length : NaN,
  };
}

/**
 * What batching can gain at most on this model and CPU: the time of one uncached forward pass
 * of one row against one of `rows` identical rows (no padding), measured interleaved (1, n, n, 1,
 * ...) so that a change in load falls on both. If an n-row pass costs n × (per-row time), the
 * forward passes of n batched requests take n × per-row time instead of n × one-row time, so
 * batching can serve at most (one-row time ÷ per-row time) times the requests per second.
 */
import type { ForwardRow, LanguageModel } from '@unmask/core';
import type { PreparedPrompt } from './grid.js';
import { quantile } from './stats.js';

export interface PassScaling {
  /** Prompt tokens of the row (the sample's median-length prompt) and positions (prompt + canvas). */
  readonly promptTokens: number;
  readonly positions: number;
  readonly rows: number;
  /** Timed passes of each kind. */
  readonly runs: number;
  /** p50 of a one-row pass, ms. */
  readonly oneRowMs: number;
  /** p50 of a `rows`-row pass, ms. */
  readonly batchMs: number;
  /** batchMs ÷ rows. */
  readonly perRowMs: number;
  /** oneRowMs ÷ perRowMs: the most batching can multiply requests per second by. */
  readonly bound: number;
}

/** The first pass of an uncached request: the prompt and a fully masked canvas, logits for the canvas. */
export function uncachedRow(prompt: PreparedPrompt, canvas: number, maskId: number): ForwardRow {
  const n = prompt.promptIds.length;
  return {
    inputIds: [...prompt.promptIds, ...new Array<number>(canvas).fill(maskId)],
    positionIds: Array.from({ length: n + canvas }, (_, i) => i),
    embeddings: prompt.embeddings,
    logitsIndices: Array.from({ length: canvas }, (_, i) => n + i),
  };
}

export async function measurePassScaling(
  model: LanguageModel,
  prompt: PreparedPrompt,
  options: { canvas: number; maskId: number; rows: number; seconds: number; minRuns?: number; maxRuns?: number },
  now: () => number = () => performance.now(),
): Promise<PassScaling> {
  const row = uncachedRow(prompt, options.canvas, options.maskId);
  const batch = new Array<ForwardRow>(options.rows).fill(row);
  const minRuns = options.minRuns ?? 5;
  const maxRuns = options.maxRuns ?? 500;
  const time = async (rows: ForwardRow[]) => {
    const t0 = now();
    await model.forward(rows);
    return now() - t0;
  };
  // Warm-up, not counted: each shape's first pass pays onnxruntime's allocations.
  await time([row]);
  await time(batch);
  const one: number[] = [];
  const many: number[] = [];
  const started = now();
  while (one.length < maxRuns && (one.length < minRuns || now() - started < options.seconds * 1000)) {
    if (one.length % 2 === 0) {
      one.push(await time([row]));
      many.push(await time(batch));
    } else {
      many.push(await time(batch));
      one.push(await time([row]));
    }
  }
  const oneRowMs = quantile(one, 0.5);
  const batchMs = quantile(many, 0.5);
  const perRowMs = batchMs / options.rows;
  return {
    promptTokens: prompt.promptIds.length,
    positions: row.inputIds.length,
    rows: options.rows,
    runs: one.length,
    oneRowMs,
    batchMs,
    perRowMs,
    bound: oneRowMs / perRowMs,
  };
}

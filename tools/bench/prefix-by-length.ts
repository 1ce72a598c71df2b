/**
 * The prefix cache by prompt length: issue 7's target is ≥ 1.5× lower latency for prompts of
 * 64 tokens or more, so the grid's latencies are split at that length. For each strategy and
 * bucket: the p50 latency without a cache, with `prefix` and with `dual`, the ratios, and the
 * share of answers equal token for token to the uncached ones. An empty bucket stays empty.
 */
import type { CacheMode } from '@unmask/core';
import { type CellResult, sameTokens } from './grid.js';
import { quantile } from './stats.js';

/** The prompt length (tokens, media placeholders expanded) from which issue 7's target applies. */
export const LONG_PROMPT_TOKENS = 64;

export interface CachedLatency {
  readonly p50Ms: number;
  /** The uncached p50 ÷ this p50: how many times lower the latency is with the cache. */
  readonly speedup: number;
  /** Fraction of the bucket's answers equal token for token (whole canvas) to the uncached ones. */
  readonly sameAnswers: number;
}

export interface PrefixBucket {
  readonly strategy: string;
  /** `short`: fewer than `threshold` prompt tokens; `long`: `threshold` or more. */
  readonly bucket: 'short' | 'long';
  readonly threshold: number;
  readonly prompts: number;
  /** Absent when the bucket has no prompts (and so are the cached numbers). */
  readonly noneP50Ms?: number;
  readonly prefix?: CachedLatency;
  readonly dual?: CachedLatency;
}

function cached(
  base: CellResult,
  cell: CellResult | undefined,
  indices: readonly number[],
  noneP50: number,
): CachedLatency | undefined {
  if (!cell) return undefined;
  const p50Ms = quantile(
    indices.map((i) => cell.answers[i]!.ms),
    0.5,
  );
  const same = indices.filter((i) => sameTokens(cell.answers[i]!.canvas, base.answers[i]!.canvas)).length;
  return { p50Ms, speedup: noneP50 / p50Ms, sameAnswers: same / indices.length };
}

/** Two buckets per strategy that has an uncached cell, in the grid's order. */
export function prefixByPromptLength(grid: readonly CellResult[], threshold = LONG_PROMPT_TOKENS): PrefixBucket[] {
  const out: PrefixBucket[] = [];
  const strategies = [...new Set(grid.map((c) => c.strategy))];
  for (const strategy of strategies) {
    const find = (cache: CacheMode) => grid.find((c) => c.strategy === strategy && c.cache === cache);
    const base = find('none');
    if (!base) continue;
    for (const cache of ['prefix', 'dual'] as const) {
      const cell = find(cache);
      if (
        cell &&
        (cell.answers.length !== base.answers.length ||
          cell.answers.some((a, i) => a.promptTokens !== base.answers[i]!.promptTokens))
      ) {
        throw new Error(
          `prefix-by-length: the ${strategy} / ${cache} answers are not over the same prompts as ${strategy} / none`,
        );
      }
    }
    for (const bucket of ['short', 'long'] as const) {
      const indices = base.answers.flatMap((a, i) => (a.promptTokens >= threshold === (bucket === 'long') ? [i] : []));
      if (indices.length === 0) {
        out.push({ strategy, bucket, threshold, prompts: 0 });
        continue;
      }
      const noneP50Ms = quantile(
        indices.map((i) => base.answers[i]!.ms),
        0.5,
      );
      const prefix = cached(base, find('prefix'), indices, noneP50Ms);
      const dual = cached(base, find('dual'), indices, noneP50Ms);
      out.push({
        strategy,
        bucket,
        threshold,
        prompts: indices.length,
        noneP50Ms,
        ...(prefix ? { prefix } : {}),
        ...(dual ? { dual } : {}),
      });
    }
  }
  return out;
}

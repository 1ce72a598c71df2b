/**
 * Prophet's early commit: the model often knows the whole answer long before the schedule
 * ends. When the mean top-1/top-2 logit gap over the remaining masked answer positions exceeds
 * a threshold, every remaining mask is committed at once with its top token. The threshold
 * falls as decoding progresses: `thresholds[k]` applies while progress < `boundaries[k]`, the
 * last one after the last boundary.
 */
import type { EarlyCommitOptions } from '../options/strategy-options.js';

export function earlyCommitThreshold(options: EarlyCommitOptions, progress: number): number {
  const k = options.boundaries.findIndex((b) => progress < b);
  return options.thresholds[k === -1 ? options.thresholds.length - 1 : k] as number;
}

/** Whether the mean logit gap over the remaining masks passes the threshold for this progress. */
export function shouldCommitAll(gaps: readonly number[], progress: number, options: EarlyCommitOptions): boolean {
  if (gaps.length === 0) return false;
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  return mean > earlyCommitThreshold(options, progress);
}

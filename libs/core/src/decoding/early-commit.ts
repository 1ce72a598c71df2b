/**
 * Prophet's early commit (pixeli99/Prophet, `generate_earlyexit.py`: `generate` and
 * `should_early_exit`): the model often knows the answer long before the schedule ends. At each
 * step the mean top-1/top-2 logit gap over a fixed window of `answer_length` positions from
 * `answer_start` (answer positions, masked or not; upstream's `answer_start_pos` minus the prompt
 * length) is compared with a threshold that falls as decoding progresses; when it is ≥ the
 * threshold every remaining mask of the answer commits at once with its top token and decoding
 * ends. Progress is step / total steps (the step counted from 1, before its commits).
 * `thresholds[k]` applies while progress < `boundaries[k]`, the last one after the last boundary
 * (upstream: 7.5, 5, 2.5 split at 0.33 and 0.67).
 */
import type { EarlyCommitOptions } from '../options/strategy-options.js';

export function earlyCommitThreshold(options: EarlyCommitOptions, progress: number): number {
  const k = options.boundaries.findIndex((b) => progress < b);
  return options.thresholds[k === -1 ? options.thresholds.length - 1 : k] as number;
}

/** The answer positions whose gaps are averaged (clipped to the answer). */
export function earlyCommitWindow(options: EarlyCommitOptions, answerLength: number): number[] {
  const end = Math.min(answerLength, options.answer_start + options.answer_length);
  return Array.from({ length: Math.max(0, end - options.answer_start) }, (_, i) => options.answer_start + i);
}

/** Whether the mean gap over the window reaches the threshold at this step (1-based) of `totalSteps`. */
export function shouldCommitAll(
  gaps: readonly number[],
  step: number,
  totalSteps: number,
  options: EarlyCommitOptions,
): boolean {
  if (gaps.length === 0) return false;
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  return mean >= earlyCommitThreshold(options, step / totalSteps);
}

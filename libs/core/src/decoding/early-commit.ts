/**
 * Prophet's early commit: the model often knows the whole answer long before the schedule
 * ends. When the mean top-1/top-2 logit gap over the remaining masked answer positions exceeds
 * a threshold, every remaining mask is committed at once with its top token. The threshold
 * falls as decoding progresses: `thresholds[k]` applies while progress < `boundaries[k]`, the
 * last one after the last boundary.
 */
import { z } from 'zod';

export const earlyCommitSchema = z
  .object({
    thresholds: z.array(z.number().positive()).min(1).default([7.5, 5, 2.5]),
    boundaries: z.array(z.number().gt(0).lt(1)).default([0.33, 0.67]),
  })
  .strict()
  .refine((v) => v.boundaries.length === v.thresholds.length - 1, {
    message: 'needs one boundary fewer than thresholds',
    path: ['boundaries'],
  })
  .refine((v) => v.boundaries.every((b, i) => i === 0 || b > (v.boundaries[i - 1] as number)), {
    message: 'must be increasing',
    path: ['boundaries'],
  });
export type EarlyCommitOptions = z.infer<typeof earlyCommitSchema>;

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

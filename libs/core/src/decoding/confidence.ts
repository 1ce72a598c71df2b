/**
 * How sure the model is about one masked position, read from a softmax distribution.
 *
 * The `confidence` option's kinds map to (0, 1] so that a single threshold τ ∈ (0, 1] means
 * something for each:
 * - `probability`: probability of the chosen token (LLaDA, Dimple; Dream's `maskgit_plus`);
 * - `margin`: top-1 minus top-2 probability (Dream's `topk_margin`);
 * - `neg_entropy`: exp(−H), the negative entropy rescaled into (0, 1] (1 for a point mass).
 * Dream's and Dimple's `alg: 'entropy'` is the raw negative entropy Σ p·log(p + 1e-10) ≤ 0
 * (`entropy` below): its order is that of `neg_entropy`, but a positive τ never passes it and
 * `alg_temp` sees its scale.
 */
import type { ConfidenceKind } from '../options/strategy-options.js';

/** Every measure a rule can rank by: the option's kinds plus Dream's raw `entropy`. */
export type ConfidenceMeasure = ConfidenceKind | 'entropy';

export interface DistributionScores {
  readonly probability: number;
  /** Its natural log, computed without underflow. */
  readonly logprob: number;
  readonly margin: number;
  readonly negEntropy: number;
  /** Σ p·log(p + 1e-10), as Dream's `sample_tokens(neg_entropy=True)`. */
  readonly entropy: number;
}

/** Scores the softmax of `logits` (any scale; −∞ entries have probability 0) for `token`. */
export function scoreDistribution(logits: ArrayLike<number>, token: number): DistributionScores {
  const vocab = logits.length;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let total = 0;
  for (let i = 0; i < vocab; i++) total += Math.exp((logits[i] as number) - max);
  const logTotal = Math.log(total);
  let h = 0;
  let dreamEntropy = 0;
  let p1 = 0;
  let p2 = 0;
  for (let i = 0; i < vocab; i++) {
    const logp = (logits[i] as number) - max - logTotal;
    const p = Math.exp(logp);
    if (p > 0) h -= p * logp;
    dreamEntropy += p * Math.log(p + 1e-10);
    if (p > p1) {
      p2 = p1;
      p1 = p;
    } else if (p > p2) p2 = p;
  }
  const logprob = (logits[token] as number) - max - logTotal;
  return {
    probability: Math.exp(logprob),
    logprob,
    margin: p1 - p2,
    negEntropy: Math.exp(-h),
    entropy: dreamEntropy,
  };
}

export function confidenceOf(scores: DistributionScores, measure: ConfidenceMeasure): number {
  switch (measure) {
    case 'probability':
      return scores.probability;
    case 'margin':
      return scores.margin;
    case 'neg_entropy':
      return scores.negEntropy;
    case 'entropy':
      return scores.entropy;
  }
}

/** Top-1 logit minus top-2 logit of a row (Prophet's gap); Infinity for a one-token vocabulary. */
export function logitGap(logits: ArrayLike<number>): number {
  let top1 = -Infinity;
  let top2 = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (v > top1) {
      top2 = top1;
      top1 = v;
    } else if (v > top2) top2 = v;
  }
  return logits.length > 1 ? top1 - top2 : Infinity;
}

/**
 * The `count` most likely tokens of one row of logits with their log-probabilities (softmax at
 * temperature 1), most likely first; ties keep the lower id first. Tokens at −∞ are left out.
 */
export function topLogprobs(
  logits: ArrayLike<number>,
  offset: number,
  vocab: number,
  count: number,
): { token: number; logprob: number }[] {
  if (count <= 0) return [];
  let top1 = -Infinity;
  for (let i = 0; i < vocab; i++) top1 = Math.max(top1, logits[offset + i] as number);
  let total = 0;
  for (let i = 0; i < vocab; i++) total += Math.exp((logits[offset + i] as number) - top1);
  const logTotal = Math.log(total);
  // A small sorted list: count is at most 20.
  const best: { token: number; logit: number }[] = [];
  for (let i = 0; i < vocab; i++) {
    const v = logits[offset + i] as number;
    if (v === -Infinity || (best.length === count && v <= (best[count - 1] as { logit: number }).logit)) continue;
    let at = best.length;
    while (at > 0 && (best[at - 1] as { logit: number }).logit < v) at--;
    best.splice(at, 0, { token: i, logit: v });
    if (best.length > count) best.pop();
  }
  return best.map((b) => ({ token: b.token, logprob: b.logit - top1 - logTotal }));
}

/**
 * A committed token's log-probability and its `count` most likely alternatives, read from the row
 * it was chosen from with `excluded` ids ruled out (the mask token, which a family's default may
 * leave in the row for its confidence).
 */
export function tokenLogprob(
  row: ArrayLike<number>,
  token: number,
  count: number,
  excluded: readonly number[],
): { logprob: number; top: { token: number; logprob: number }[] } {
  const kept = Float64Array.from(row);
  for (const id of excluded) if (id < kept.length) kept[id] = -Infinity;
  return { logprob: scoreDistribution(kept, token).logprob, top: topLogprobs(kept, 0, kept.length, count) };
}

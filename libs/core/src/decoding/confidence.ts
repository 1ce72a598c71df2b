/**
 * How sure the model is about one masked position. Every kind maps to (0, 1] so that a single
 * threshold τ ∈ (0, 1] means something for each:
 * - `probability`: softmax probability of the chosen token (LLaDA, Dimple);
 * - `margin`: probability of the top-1 token minus that of the top-2 token;
 * - `neg_entropy`: exp(−H) of the softmax distribution — the same ordering as negative
 *   entropy, rescaled into (0, 1] (1 when the distribution is a point mass).
 * Also returns the top-1/top-2 logit gap, which Prophet's early-commit rule reads.
 */
import type { ConfidenceKind } from '../options/strategy-options.js';

export interface PositionScores {
  /** Softmax probability (temperature 1) of the given token. */
  readonly probability: number;
  readonly margin: number;
  readonly negEntropy: number;
  /** Top-1 logit minus top-2 logit. */
  readonly logitGap: number;
}

/** Scores one row of logits for `token` (the token chosen by sampling). */
export function scorePosition(logits: Float32Array, offset: number, vocab: number, token: number): PositionScores {
  let top1 = -Infinity;
  let top2 = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const v = logits[offset + i] as number;
    if (v > top1) {
      top2 = top1;
      top1 = v;
    } else if (v > top2) top2 = v;
  }
  let total = 0;
  for (let i = 0; i < vocab; i++) total += Math.exp((logits[offset + i] as number) - top1);
  const logTotal = Math.log(total);
  let entropy = 0;
  for (let i = 0; i < vocab; i++) {
    const logp = (logits[offset + i] as number) - top1 - logTotal;
    const p = Math.exp(logp);
    if (p > 0) entropy -= p * logp;
  }
  const pTop1 = Math.exp(-logTotal);
  const pTop2 = vocab > 1 ? Math.exp(top2 - top1 - logTotal) : 0;
  return {
    probability: Math.exp((logits[offset + token] as number) - top1 - logTotal),
    margin: pTop1 - pTop2,
    negEntropy: Math.exp(-entropy),
    logitGap: vocab > 1 ? top1 - top2 : Infinity,
  };
}

export function confidenceOf(scores: PositionScores, kind: ConfidenceKind): number {
  switch (kind) {
    case 'probability':
      return scores.probability;
    case 'margin':
      return scores.margin;
    case 'neg_entropy':
      return scores.negEntropy;
  }
}

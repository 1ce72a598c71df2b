/**
 * One masked position's logits → the token it would take and the confidence a rule ranks it by.
 *
 * The token comes from the sampled distribution (temperature, top-p, top-k; `sampling.ts`), never
 * a banned id (the mask token). The confidence comes from one of two distributions, as upstream:
 * - the original softmax of the logits (LLaDA's and Fast-dLLM's `get_transfer_index`, Dimple's
 *   `use_original_confidence=True`): `useOriginalConfidence` true;
 * - the distribution sampled from, temperature-scaled and filtered (Dream's `sample_tokens`,
 *   Fast-dLLM's block-wise Dream): false.
 * Either way every logit of the row stays in the softmax (the session sets the mask token's to −∞
 * first unless `keep_mask_logit`, which the upstream families' defaults set, as their code leaves
 * it); `confidenceExcluded` ids are set to −∞ for the confidence only (LLaDA's
 * `confidence_eos_eot_inf`).
 */
import { confidenceOf, scoreDistribution, type ConfidenceMeasure } from './confidence.js';
import type { RandomSource } from './random.js';
import { chooseToken, filteredLogits, type ResolvedSampling } from './sampling.js';

export interface ScoringOptions {
  readonly sampling: ResolvedSampling;
  readonly measure: ConfidenceMeasure;
  readonly useOriginalConfidence: boolean;
  /** Ids never chosen as the token. */
  readonly banned: readonly number[];
  /** Ids left out of the confidence's softmax. */
  readonly confidenceExcluded: readonly number[];
}

export interface PositionScore {
  readonly token: number;
  readonly confidence: number;
}

function filters(sampling: ResolvedSampling): boolean {
  const { temperature, top_p: p, top_k: k } = sampling;
  return temperature > 0 || (p !== undefined && p < 1) || (k !== undefined && k > 0);
}

/** Scores one row of logits (edited by the logit processors already). */
export function scoreRow(row: Float32Array, options: ScoringOptions, random: RandomSource): PositionScore {
  const sampled = filters(options.sampling) ? filteredLogits(row, options.sampling) : row;
  const token = chooseToken(sampled, options.sampling.temperature, random, options.banned);
  let source: ArrayLike<number> = options.useOriginalConfidence ? row : sampled;
  if (options.confidenceExcluded.length > 0) {
    const copy = Float64Array.from(source);
    for (const id of options.confidenceExcluded) if (id < copy.length) copy[id] = -Infinity;
    source = copy;
  }
  return { token, confidence: confidenceOf(scoreDistribution(source, token), options.measure) };
}

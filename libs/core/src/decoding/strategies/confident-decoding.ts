/**
 * Dimple's confident decoding (`DimpleGenerationMixin._sample`, `decoding_pipeline='dim'`): at
 * each step every mask whose confidence is strictly above τ commits; the last step commits every
 * mask left. When none passes, the count comes from the eps schedule re-anchored at the current
 * mask ratio (`reanchoredTransferCount`), and the positions are chosen at random under
 * `alg='origin'`, else the most confident (or drawn with `alg_temp`). τ = 1 never passes: the
 * schedule alone (Dimple without `alg_p_threshold`).
 */
import { epsTimesteps, reanchoredTransferCount } from '../schedule.js';
import type { CommitRule } from './commit-rule.js';
import { pickAtRandom, pickByConfidence } from './position-draw.js';

export interface ConfidentOptions {
  readonly threshold: number;
  readonly stepsPerBlock: number;
  readonly eps: number;
  /** `alg='origin'`: fallback positions at random. */
  readonly origin: boolean;
  readonly algTemp: number | undefined;
}

export function confidentDecoding(options: ConfidentOptions): CommitRule {
  const timesteps = epsTimesteps(options.stepsPerBlock, options.eps);
  return ({ candidates, stepInBlock, blockMaskCount, random }) => {
    if (stepInBlock >= options.stepsPerBlock - 1) return candidates;
    const above = candidates.filter((c) => c.confidence > options.threshold);
    if (above.length > 0) return above;
    const count = reanchoredTransferCount(candidates.length, blockMaskCount, stepInBlock, timesteps);
    return options.origin
      ? pickAtRandom(candidates, count, random)
      : pickByConfidence(candidates, count, options.algTemp, random);
  };
}

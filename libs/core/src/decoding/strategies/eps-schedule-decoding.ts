/**
 * Dream's decoding (`DreamGenerationMixin.diffusion_generate`): t, s consecutive points of
 * `linspace(1, eps, steps + 1)`; step i commits int(n·(1 − s/t)) of the n masks left (0 allowed)
 * and the last step every mask left — the most confident first, or drawn from
 * softmax(confidence / `alg_temp`). Under `alg='origin'` each mask commits independently with
 * probability 1 − s/t (1 at the last step).
 */
import { epsTimesteps, epsTransferCount, epsTransferProbability } from '../schedule.js';
import type { CommitRule } from './commit-rule.js';
import { pickByConfidence, pickEach } from './position-draw.js';

export interface EpsScheduleOptions {
  readonly stepsPerBlock: number;
  readonly eps: number;
  readonly origin: boolean;
  readonly algTemp: number | undefined;
}

export function epsScheduleDecoding(options: EpsScheduleOptions): CommitRule {
  const timesteps = epsTimesteps(options.stepsPerBlock, options.eps);
  return ({ candidates, stepInBlock, random }) => {
    if (options.origin) return pickEach(candidates, epsTransferProbability(stepInBlock, timesteps), random);
    const count = epsTransferCount(candidates.length, stepInBlock, timesteps);
    return pickByConfidence(candidates, count, options.algTemp, random);
  };
}

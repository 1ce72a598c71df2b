/**
 * Dimple's confident decoding: every masked position whose confidence is strictly above τ
 * commits in this step. When none is, the step falls back to the fixed schedule (at least one
 * commit), so decoding never stalls.
 */
import { transferSchedule } from '../schedule.js';
import type { CommitRule } from './commit-rule.js';

export function confidentDecoding(threshold: number, fallbackStepsPerBlock: number): CommitRule {
  return ({ candidates, stepInBlock, blockMaskCount }) => {
    const above = candidates.filter((c) => c.confidence > threshold);
    if (above.length > 0) return above;
    const schedule = transferSchedule(blockMaskCount, fallbackStepsPerBlock);
    return candidates.slice(0, Math.max(1, schedule[stepInBlock] ?? 1));
  };
}

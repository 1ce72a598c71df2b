/**
 * LLaDA's fixed-step decoding (`generate.py: generate`): each block gets `stepsPerBlock` steps and
 * step i commits the schedule's count — the most confident masks (`low_confidence` remasking) or
 * the ones with the largest uniform draws (`random` remasking, LLaDA's `x0_p = torch.rand(...)`).
 * A step whose count is 0 commits nothing (its pass still runs, as upstream).
 */
import { transferSchedule } from '../schedule.js';
import type { CommitRule } from './commit-rule.js';

export function lowConfidenceRemasking(stepsPerBlock: number, remasking: 'low_confidence' | 'random'): CommitRule {
  return ({ candidates, stepInBlock, blockMaskCount, random }) => {
    const schedule = transferSchedule(blockMaskCount, stepsPerBlock);
    // Past the schedule a block still holding masks commits them all, so it always ends.
    const count = stepInBlock < schedule.length ? (schedule[stepInBlock] as number) : candidates.length;
    if (remasking === 'low_confidence') return candidates.slice(0, count);
    const keyed = [...candidates].sort((a, b) => a.position - b.position).map((c) => ({ c, key: random.uniform() }));
    keyed.sort((a, b) => b.key - a.key);
    return keyed.slice(0, count).map((k) => k.c);
  };
}

/**
 * LLaDA's fixed-step decoding: each block gets `stepsPerBlock` steps and commits the scheduled
 * number of tokens per step — the most confident ones (`low_confidence` remasking: the least
 * confident stay masked) or a uniformly random choice (`random` remasking).
 */
import { transferSchedule } from '../schedule.js';
import type { CommitRule } from './commit-rule.js';

export function lowConfidenceRemasking(stepsPerBlock: number, remasking: 'low_confidence' | 'random'): CommitRule {
  return ({ candidates, stepInBlock, blockMaskCount, random }) => {
    const schedule = transferSchedule(blockMaskCount, stepsPerBlock);
    // Past the schedule (or at a scheduled 0) a step still commits one token, so a block always ends.
    const count = Math.max(1, schedule[stepInBlock] ?? candidates.length);
    if (remasking === 'low_confidence') return candidates.slice(0, count);
    const keyed = candidates.map((c) => ({ c, key: random.uniform() }));
    keyed.sort((a, b) => b.key - a.key);
    return keyed.slice(0, count).map((k) => k.c);
  };
}

/**
 * Fast-dLLM's threshold rule (`get_transfer_index` with `threshold`): the most confident mask of
 * the block, plus every other one with confidence ≥ τ.
 */
import type { CommitRule } from './commit-rule.js';

export function thresholdDecoding(threshold: number): CommitRule {
  return ({ candidates }) => candidates.filter((c, i) => i === 0 || c.confidence >= threshold);
}

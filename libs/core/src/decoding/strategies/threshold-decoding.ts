/**
 * Fast-dLLM's parallel decoding rules.
 * - threshold: the most confident position, plus every other one with confidence ≥ τ;
 * - factor: the i-th most confident position (i = 1, 2, …) is accepted while its confidence is
 *   ≥ 1 − f / (i + 1); the most confident one is always accepted.
 */
import type { CommitRule } from './commit-rule.js';

export function thresholdDecoding(threshold: number): CommitRule {
  return ({ candidates }) => candidates.filter((c, i) => i === 0 || c.confidence >= threshold);
}

export function factorDecoding(factor: number): CommitRule {
  return ({ candidates }) => {
    let accepted = 1;
    while (accepted < candidates.length) {
      const i = accepted + 1; // 1-based rank of the next candidate
      if ((candidates[accepted] as { confidence: number }).confidence < 1 - factor / (i + 1)) break;
      accepted += 1;
    }
    return candidates.slice(0, accepted);
  };
}

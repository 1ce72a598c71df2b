/**
 * Fast-dLLM's factor rule (`get_transfer_index_dynamic`): the masks sorted by confidence, the
 * i-th (i = 1, 2, …) is accepted while its confidence is ≥ 1 − f / (i + 1); the first always.
 * When the first one to fail is the last mask of the block, it is committed too (upstream's
 * `top_i += 1` when the loop stops at the last index), so such a step empties the block.
 */
import type { CommitRule } from './commit-rule.js';

export function factorDecoding(factor: number): CommitRule {
  return ({ candidates }) => {
    const n = candidates.length;
    let accepted = 1;
    while (accepted < n) {
      const i = accepted + 1; // 1-based rank of the next candidate
      if ((candidates[accepted] as { confidence: number }).confidence < 1 - factor / (i + 1)) break;
      accepted += 1;
    }
    if (accepted === n - 1) accepted = n;
    return candidates.slice(0, accepted);
  };
}

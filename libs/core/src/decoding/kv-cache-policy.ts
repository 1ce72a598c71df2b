/**
 * Which positions a forward pass recomputes and which it reads from cached keys/values.
 * - `none`: every pass runs the whole sequence (prompt + answer).
 * - `prefix` (Dimple's prefilling; Fast-dLLM's prefix cache): at the first step of each block a
 *   full pass runs and keeps the keys/values of everything before the block; the block's later
 *   steps run only the block and what follows it. With one block this is the prompt cache.
 * - `dual` (Fast-dLLM's dual cache): at the first step of each block a full pass keeps the
 *   prefix *and* the suffix after the block; later steps run only the block itself.
 * With shifted logits (Dream, Dimple) the position just before the block is recomputed too,
 * since it carries the logits of the block's first position.
 */
import type { IndexRange } from '../model/language-model.js';
import type { CacheMode } from '../options/cache-modes.js';

export interface PassPlan {
  /** Absolute start of the recomputed segment. */
  readonly segmentStart: number;
  /** Absolute end (exclusive) of the recomputed segment. */
  readonly segmentEnd: number;
  /** Whether the pass reads the current cache. */
  readonly usesCache: boolean;
  /** Ranges (absolute; the pass is then a full one) to keep as the next cache. */
  readonly keep?: readonly IndexRange[];
}

/**
 * @param blockStart absolute start of the current block
 * @param blockEnd absolute end of the current block
 * @param total absolute length of prompt + answer
 * @param firstStepOfBlock whether this is the block's first pass (the cache is then rebuilt)
 */
export function planPass(
  mode: CacheMode,
  blockStart: number,
  blockEnd: number,
  total: number,
  shift: 0 | 1,
  firstStepOfBlock: boolean,
): PassPlan {
  const cacheEnd = Math.max(0, blockStart - shift);
  if (mode === 'none') return { segmentStart: 0, segmentEnd: total, usesCache: false };
  if (firstStepOfBlock) {
    const keep: IndexRange[] = [[0, cacheEnd]];
    if (mode === 'dual' && blockEnd < total) keep.push([blockEnd, total]);
    return { segmentStart: 0, segmentEnd: total, usesCache: false, keep };
  }
  return { segmentStart: cacheEnd, segmentEnd: mode === 'dual' ? blockEnd : total, usesCache: true };
}

/**
 * A commit rule decides, at one denoising step, which masked positions of the current block
 * receive their predicted token. Rules only ever commit (nothing is re-masked). A step may commit
 * nothing where the upstream schedule says 0, but every rule commits all that is left by its last
 * step (or at least one position per step), so decoding always ends.
 */
import type { RandomSource } from '../random.js';

export interface Candidate {
  /** Index within the answer canvas. */
  readonly position: number;
  /** The token sampled for this position. */
  readonly token: number;
  /** The strategy's confidence measure (in (0, 1], or ≤ 0 for Dream's raw entropy), after EOS rescaling. */
  readonly confidence: number;
}

export interface CommitContext {
  /** Masked positions of the current block, sorted by confidence (highest first, then by position). */
  readonly candidates: readonly Candidate[];
  /** 0-based step index within the current block. */
  readonly stepInBlock: number;
  /** Masks in the current block when the block started. */
  readonly blockMaskCount: number;
  readonly random: RandomSource;
}

export type CommitRule = (context: CommitContext) => readonly Candidate[];

/** Highest confidence first; ties broken by position so that runs are deterministic. */
export function byConfidence(a: Candidate, b: Candidate): number {
  return b.confidence - a.confidence || a.position - b.position;
}

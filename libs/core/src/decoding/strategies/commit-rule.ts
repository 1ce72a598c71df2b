/**
 * A commit rule decides, at one denoising step, which masked positions of the current block
 * receive their predicted token. Rules only ever commit (nothing is re-masked), and every rule
 * commits at least one position while the block has masks, so decoding always ends.
 */
import type { Random } from '../random.js';

export interface Candidate {
  /** Index within the answer canvas. */
  readonly position: number;
  /** The token sampled for this position. */
  readonly token: number;
  /** The confidence of the strategy's kind, in (0, 1], after EOS rescaling. */
  readonly confidence: number;
}

export interface CommitContext {
  /** Masked positions of the current block, sorted by confidence (highest first, then by position). */
  readonly candidates: readonly Candidate[];
  /** 0-based step index within the current block. */
  readonly stepInBlock: number;
  /** Masks in the current block when the block started. */
  readonly blockMaskCount: number;
  readonly random: Random;
}

export type CommitRule = (context: CommitContext) => readonly Candidate[];

/** Highest confidence first; ties broken by position so that runs are deterministic. */
export function byConfidence(a: Candidate, b: Candidate): number {
  return b.confidence - a.confidence || a.position - b.position;
}

/** What a decoding run reports: one event per denoising step, then a final result. */
export interface CommittedToken {
  /** Index within the answer canvas. */
  readonly position: number;
  readonly token: number;
  /** The strategy's confidence when committed; null for positions filled by end-of-text prediction. */
  readonly confidence: number | null;
  /**
   * Only when the request asked for log-probabilities (`GenerateRequest.logprobs`), and not for
   * positions filled by end-of-text prediction: the token's log-probability at the step it was
   * committed, and the most likely tokens there.
   */
  readonly logprob?: TokenLogprob;
}

/**
 * A committed token's log-probability under the distribution it was drawn from at its step:
 * the softmax (temperature 1, before top-k / top-p) of the model's logits at that position in
 * that forward pass, over the tokens the step allowed (never the mask token; under a
 * constraint, only tokens that keep the canvas completable). `top` lists the most likely
 * tokens of the same distribution, most likely first.
 */
export interface TokenLogprob {
  readonly logprob: number;
  readonly top: readonly { readonly token: number; readonly logprob: number }[];
}

export interface StepEvent {
  /** 1-based step index; each step is one forward pass. */
  readonly step: number;
  /** 0-based index of the block decoded in this step. */
  readonly block: number;
  readonly committed: readonly CommittedToken[];
  /** The answer canvas after this step; masks carry the mask token id. */
  readonly canvas: readonly number[];
  readonly masksRemaining: number;
  readonly forwardPasses: number;
  /** Whether Prophet's early commit fired in this step. */
  readonly earlyCommit: boolean;
  /** Milliseconds since the request started decoding. */
  readonly elapsedMs: number;
}

export type FinishReason = 'stop' | 'length';

export interface DecodeResult {
  /** Answer tokens: fixed template tokens and decoded tokens, each region cut at its first EOS. */
  readonly tokenIds: number[];
  /** Present when the engine was given a detokenizer. */
  readonly text?: string;
  /** The final answer canvas, EOS and padding included. */
  readonly canvas: number[];
  readonly forwardPasses: number;
  readonly steps: number;
  /**
   * The most positions one step decoded, end-of-text fill not counted: 1 when the answer was
   * decoded one token per step (0 when nothing was decoded: a template's text alone).
   */
  readonly widestStep: number;
  /** `stop`: the text ended with EOS (or filled a template); `length`: the canvas ran out. */
  readonly finishReason: FinishReason;
  /**
   * Only when the request asked for them: each canvas position's `TokenLogprob` from the step
   * that committed it (null where nothing was decoded: template text, end-of-text fill).
   */
  readonly logprobs?: readonly (TokenLogprob | null)[];
  readonly timings: {
    /** From the request's submission to its result. */
    readonly totalMs: number;
    /** Wall time of the forward passes this request took part in. */
    readonly forwardMs: number;
    /** Time spent waiting for a place in the batch. */
    readonly queueMs: number;
  };
  /** With `sharedPrefix` and an engine prefix cache: its length and whether it was already cached. */
  readonly sharedPrefix?: { readonly length: number; readonly hit: boolean };
}

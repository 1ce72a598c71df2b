/**
 * How long an answer canvas to decode when the caller gives only an upper bound (OpenAI's
 * `max_tokens`): never more than the bound or the model's positions left after the prompt, and
 * otherwise
 *
 * - the answer length the bundle declares its model was trained with (`generation.answer_length`
 *   in the manifest; the default model: 32), or
 * - DAEDAL's initial length adjustment (Li et al., "Beyond Fixed: Variable-Length Denoising for
 *   Diffusion LLMs"): start from a short all-mask canvas, run the model on it, and while the
 *   end-of-text confidence of its tail is low, add masks and look again. The confidence is the
 *   sum of p(EOS) over the last `window` positions where EOS is the top prediction, divided by
 *   `window`; defaults as the paper's code: initial 64, step 8, threshold 0.5, window 32.
 *
 * A request whose strategy cannot decode the chosen length (e.g. `block_length` 32 and a canvas
 * of 72) gets the next length within the bound that it can (an addition to DAEDAL's rule).
 *
 * `limitedBy` tells whether the canvas ran into the caller's bound or the model's positions: an
 * answer without end-of-text is then cut (`finish_reason: "length"`); otherwise it is not.
 */
import { UnmaskError } from '../errors.js';
import type { LanguageModel } from '../model/language-model.js';
import { DecodeSession } from './decode-session.js';
import type { GenerateRequest } from './request.js';
import { validateRequest } from './request.js';

export interface LengthOptions {
  /** The most answer tokens the caller accepts. */
  readonly bound: number;
  /** The answer length the model was trained with, when the bundle declares one. */
  readonly trained?: number;
  readonly initial?: number;
  readonly step?: number;
  readonly threshold?: number;
  readonly window?: number;
  /**
   * Whether the request can decode a canvas of this length (its strategy's `steps` and
   * `block_length` must fit it): DAEDAL's length grows on to the next length that fits.
   */
  readonly fits?: (length: number) => boolean;
}

export interface ChosenLength {
  readonly length: number;
  /** Forward passes spent choosing (0 unless DAEDAL looked). */
  readonly passes: number;
  /** What stopped the canvas from being longer. */
  readonly limitedBy: 'bound' | 'context' | 'model' | 'eos';
}

export const DAEDAL_DEFAULTS = { initial: 64, step: 8, threshold: 0.5, window: 32 } as const;

/** The canvas for a request whose `maxTokens` is only a bound; `request` gives the prompt. */
export async function chooseAnswerLength(
  model: LanguageModel,
  request: Omit<GenerateRequest, 'maxTokens' | 'template' | 'constraint'>,
  options: LengthOptions,
): Promise<ChosenLength> {
  const { bound } = options;
  if (!Number.isInteger(bound) || bound < 1)
    throw new UnmaskError('invalid_parameter', `maxTokens must be a positive integer, got ${bound}`, 'maxTokens');
  const room = model.info.maxPositions - request.promptIds.length;
  if (room < 1) {
    throw new UnmaskError(
      'context_length_exceeded',
      `the prompt (${request.promptIds.length} tokens) leaves no room for an answer in the model's ${model.info.maxPositions} positions`,
      'promptIds',
    );
  }
  const cap = Math.min(bound, room);
  const capBy = bound <= room ? 'bound' : 'context';
  if (options.trained !== undefined) {
    return options.trained < cap
      ? { length: options.trained, passes: 0, limitedBy: 'model' }
      : { length: cap, passes: 0, limitedBy: capBy };
  }
  const initial = options.initial ?? DAEDAL_DEFAULTS.initial;
  const step = options.step ?? DAEDAL_DEFAULTS.step;
  const threshold = options.threshold ?? DAEDAL_DEFAULTS.threshold;
  const window = options.window ?? DAEDAL_DEFAULTS.window;
  let length = Math.min(initial, cap);
  let passes = 0;
  const fitting = (chosen: ChosenLength): ChosenLength => {
    if (!options.fits || options.fits(chosen.length)) return chosen;
    for (let l = chosen.length + 1; l <= cap; l++) if (options.fits(l)) return { ...chosen, length: l };
    return chosen;
  };
  if (length === cap) return fitting({ length, passes, limitedBy: capBy });
  for (;;) {
    if (request.signal?.aborted) throw new UnmaskError('aborted', 'the request was cancelled', undefined);
    const session = new DecodeSession(
      validateRequest(
        { ...request, maxTokens: length, strategy: { name: 'low_confidence' }, cache: 'none' },
        model.info,
      ),
      model.info,
    );
    // one row: no guidance in this probe
    const [result] = await model.forward(session.nextRows());
    passes += 1;
    const confidence = eosConfidence(result?.logits as Float32Array, length, model.info, window);
    if (confidence >= threshold) return fitting({ length, passes, limitedBy: 'eos' });
    if (length >= cap) return fitting({ length, passes, limitedBy: capBy });
    length = Math.min(cap, length + step);
  }
}

/**
 * DAEDAL's sequence-completion signal over an all-mask canvas's logits (one row per position);
 * argmax and softmax over the whole vocabulary, mask included, as its code does.
 */
export function eosConfidence(
  logits: Float32Array,
  length: number,
  info: { vocabSize: number; eosTokenId: number },
  window: number,
): number {
  const vocab = info.vocabSize;
  let sum = 0;
  for (let position = length - 1; position >= Math.max(0, length - window); position--) {
    const offset = position * vocab;
    let best = -Infinity;
    let top = -1;
    for (let id = 0; id < vocab; id++) {
      const v = logits[offset + id] as number;
      if (v > best) {
        best = v;
        top = id;
      }
    }
    if (top !== info.eosTokenId) continue;
    let total = 0;
    for (let id = 0; id < vocab; id++) total += Math.exp((logits[offset + id] as number) - best);
    sum += 1 / total;
  }
  return sum / window;
}

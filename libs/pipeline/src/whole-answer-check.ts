/**
 * The whole-answer check as `Unmask` runs it (the rule on words: answer/refusal-check.ts): which
 * answers it applies to, the second decode it asks for, and the refusal it completes.
 */
import type { AskResult, PreparedPrompt } from './ask-request.js';
import { isRefusalBeginning, isRefusalFragment } from './answer/refusal-check.js';
import { isRepetition } from './answer/repetition-check.js';

/** For a bundle's declared refusal (none: nothing is checked). */
export class WholeAnswerCheck {
  constructor(private readonly refusal: string | undefined) {}

  /** Whether it applies: a refusal declared, a text answer (no template, response format or tools). */
  applies(prepared: PreparedPrompt): boolean {
    return this.refusal !== undefined && !prepared.request.template && !prepared.constraint && !prepared.plan;
  }

  /**
   * The request to decode again, one token per step on the same canvas, when a whole text answer
   * is empty, holds pieces of the refusal without being it, or is babble (one word over and over:
   * answer/repetition-check.ts); undefined when it passes or the check does not apply (also to a
   * decode that was already one token per step).
   */
  again(prepared: PreparedPrompt, first: AskResult): PreparedPrompt | undefined {
    if (this.refusal === undefined || !this.applies(prepared)) return undefined;
    if (first.widestStep <= 1) return undefined;
    if (!isRefusalFragment(first.text, this.refusal) && !isRepetition(first.text)) return undefined;
    const length = first.canvasLength;
    return {
      ...prepared,
      request: {
        ...prepared.request,
        fixedCanvas: true,
        maxTokens: length,
        strategy: { name: 'low_confidence', steps: length },
      },
    };
  }

  /**
   * A one-token-per-step decode (the second, or a first one that was already) that is still empty
   * or only the refusal's beginning ("i can only answer") is the model refusing, and one that is
   * still babble is no answer: its text becomes the whole refusal (not when log-probabilities were
   * asked for: they describe the decoded tokens).
   */
  completed(prepared: PreparedPrompt, decoded: AskResult): Partial<Pick<AskResult, 'text' | 'finishReason'>> {
    const refusal = this.refusal;
    if (refusal === undefined || !this.applies(prepared) || prepared.request.logprobs !== undefined) return {};
    if (!isRefusalBeginning(decoded.text, refusal) && !isRepetition(decoded.text)) return {};
    return { text: refusal, finishReason: 'stop' };
  }
}

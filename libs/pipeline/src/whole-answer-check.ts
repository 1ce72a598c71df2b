/**
 * The whole-answer check as `Unmask` runs it (the rules on words: answer/refusal-check.ts,
 * answer/repetition-check.ts): which answers it applies to, the second decode it asks for, and the
 * refusal it completes. Two declarations of the bundle start it (manifest `generation`):
 * - `refusal`: an answer that is empty, holds pieces of the refusal without being it, or is
 *   babble is decoded again one token per step;
 * - `json_answer`: an answer that begins with `{` but is not the declared schema's JSON (parallel
 *   decoding can commit the end of text inside it) is decoded again under the schema's constraint.
 */
import type { TokenConstraint } from '@unmask/core';
import type { AskResult, PreparedPrompt } from './ask-request.js';
import { isRefusalBeginning, isRefusalFragment } from './answer/refusal-check.js';
import { isRepetition } from './answer/repetition-check.js';

export interface WholeAnswerRules {
  /** The declared refusal. */
  readonly refusal?: string;
  /** The declared JSON answer's constraint, compiled on first use. */
  readonly jsonAnswer?: () => TokenConstraint;
}

export class WholeAnswerCheck {
  constructor(private readonly rules: WholeAnswerRules) {}

  /** Whether it applies: something declared, a text answer (no template, response format or tools). */
  applies(prepared: PreparedPrompt): boolean {
    const declared = this.rules.refusal !== undefined || this.rules.jsonAnswer !== undefined;
    return declared && !prepared.request.template && !prepared.constraint && !prepared.plan;
  }

  /**
   * The request to decode again on the same canvas, or undefined when the answer passes or the
   * check does not apply: a broken JSON answer under the JSON answer's constraint (the request's
   * own strategy); an empty answer, a piece of the refusal or babble (answer/repetition-check.ts)
   * one token per step (not a decode that was already one token per step).
   */
  again(prepared: PreparedPrompt, first: AskResult): PreparedPrompt | undefined {
    if (!this.applies(prepared)) return undefined;
    const length = first.canvasLength;
    const sameCanvas = { ...prepared.request, fixedCanvas: true, maxTokens: length };
    const json = this.rules.jsonAnswer;
    if (json && first.text.trimStart().startsWith('{')) {
      const constraint = json();
      return constraint.accepts(first.text) ? undefined : { ...prepared, request: sameCanvas, constraint };
    }
    const refusal = this.rules.refusal;
    if (refusal === undefined || first.widestStep <= 1) return undefined;
    if (!isRefusalFragment(first.text, refusal) && !isRepetition(first.text)) return undefined;
    return { ...prepared, request: { ...sameCanvas, strategy: { name: 'low_confidence', steps: length } } };
  }

  /**
   * A one-token-per-step decode (the second, or a first one that was already) that is still empty
   * or only the refusal's beginning ("i can only answer") is the model refusing, and one that is
   * still babble is no answer: its text becomes the whole refusal (not when log-probabilities were
   * asked for: they describe the decoded tokens).
   */
  completed(prepared: PreparedPrompt, decoded: AskResult): Partial<Pick<AskResult, 'text' | 'finishReason'>> {
    const refusal = this.rules.refusal;
    if (refusal === undefined || !this.applies(prepared) || prepared.request.logprobs !== undefined) return {};
    if (!isRefusalBeginning(decoded.text, refusal) && !isRepetition(decoded.text)) return {};
    return { text: refusal, finishReason: 'stop' };
  }
}

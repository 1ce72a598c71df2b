/**
 * The text of one answer: what a stream sends after each step, the text of each canvas cell,
 * and the final text with its finish reason. Where the answer ends is read from the canvas by
 * core's `AnswerLayout` (one rule for the streamed prefix and the final answer); this module adds
 * what is about text: decoding, OpenAI's stop sequences, and holding back what is not yet safe
 * to send.
 *
 * The streamed text only grows: a token joins it once every position before it is committed.
 * `advance` returns the new text (a delta), holding back an incomplete UTF-8 character and any
 * tail that could begin a stop sequence; once a stop sequence is reached the answer is final.
 */
import type { AnswerEnds, AnswerLayout, FinishReason } from '@unmask/core';
import { cutAtStop, holdBack } from './stop-sequences.js';

export interface AnswerTokens extends AnswerEnds {
  /** Token ids → text (special tokens skipped). */
  decode(ids: readonly number[]): string;
}

export class AnswerText {
  private sent = '';
  private stoppedAt: string | undefined;
  private prefixIds: readonly number[] = [];

  constructor(
    private readonly layout: AnswerLayout,
    private readonly tokens: AnswerTokens,
    private readonly stop: readonly string[],
  ) {}

  /** Text sent so far. */
  get text(): string {
    return this.sent;
  }

  /** The ids of the committed prefix read by the latest `advance`. */
  get committedIds(): readonly number[] {
    return this.prefixIds;
  }

  /** Whether a stop sequence has been reached (the answer is final). */
  get stopped(): boolean {
    return this.stoppedAt !== undefined;
  }

  /** The text of one canvas cell: null for a mask, '' for end-of-text and padding. */
  cell(id: number): string | null {
    if (id === this.tokens.maskTokenId) return null;
    if (id === this.tokens.eosTokenId || id === this.tokens.padTokenId) return '';
    return this.tokens.decode([id]);
  }

  /** The delta after a step; '' when nothing new is safe to send. */
  advance(canvas: ArrayLike<number>): string {
    if (this.stopped) return '';
    const { ids, complete } = this.layout.read(canvas, this.tokens);
    this.prefixIds = ids;
    const decoded = this.decode(ids);
    const cut = cutAtStop(decoded, this.stop);
    if (cut.stopped) {
      this.stoppedAt = cut.text;
      return this.take(cut.text);
    }
    let safe = decoded.endsWith('\uFFFD') ? decoded.replace(/\uFFFD+$/, '') : decoded;
    if (!complete) safe = safe.slice(0, safe.length - holdBack(safe, this.stop));
    return this.take(safe);
  }

  /** The final answer from its token ids: the text cut at the first stop sequence, and the finish reason. */
  final(tokenIds: readonly number[], finishReason: FinishReason): { text: string; finishReason: FinishReason } {
    const cut = cutAtStop(this.decode(tokenIds), this.stop);
    return { text: cut.text, finishReason: cut.stopped ? 'stop' : finishReason };
  }

  private decode(ids: readonly number[]): string {
    return ids.length === 0 ? '' : this.tokens.decode(ids);
  }

  private take(text: string): string {
    if (!text.startsWith(this.sent) || text.length <= this.sent.length) return '';
    const delta = text.slice(this.sent.length);
    this.sent = text;
    return delta;
  }
}

/**
 * Log-probabilities of an answer's tokens, in answer order, as OpenAI reports them: each token's
 * text and bytes (what the token adds to the answer) and its log-probability at the step that
 * committed it (core's `TokenLogprob`), with the most likely alternatives at that step. A
 * stream reports a token once the text sent covers it; the final answer reports every token
 * that begins within its text (a stop sequence cuts the rest).
 */
import type { TokenLogprob } from '@unmask/core';

export interface TokenText {
  readonly token: string;
  readonly bytes: readonly number[];
}

export interface AnswerLogprob extends TokenText {
  readonly logprob: number;
  readonly top: readonly (TokenText & { readonly logprob: number })[];
}

export interface LogprobTokens {
  /** The bytes token `id` adds at answer position `position`. */
  bytesOf(id: number, position: number): Uint8Array;
  /** Token ids → text, as the answer's text is decoded. */
  decode(ids: readonly number[]): string;
}

const utf8 = new TextDecoder();

export class AnswerLogprobs {
  /** Per canvas position, filled as steps commit tokens. */
  private readonly byPosition = new Map<number, TokenLogprob>();
  private reported = 0;

  constructor(private readonly tokens: LogprobTokens) {}

  /** Records a step's committed tokens. */
  record(committed: readonly { readonly position: number; readonly logprob?: TokenLogprob }[]): void {
    for (const c of committed) if (c.logprob) this.byPosition.set(c.position, c.logprob);
  }

  /** Entries for the tokens of `ids` (the answer's committed prefix) that `sentLength` characters of text now cover. */
  advance(ids: readonly number[], sentLength: number): AnswerLogprob[] {
    let n = this.reported;
    while (n < ids.length && this.textLength(ids, n + 1) <= sentLength) n++;
    return this.take(ids, n);
  }

  /** The entries not reported yet: every token of `ids` (the final answer) that begins within `textLength` characters. */
  finish(ids: readonly number[], textLength: number): AnswerLogprob[] {
    let n = this.reported;
    while (n < ids.length && this.textLength(ids, n) < textLength) n++;
    return this.take(ids, n);
  }

  private textLength(ids: readonly number[], n: number): number {
    return n === 0 ? 0 : this.tokens.decode(ids.slice(0, n)).length;
  }

  private take(ids: readonly number[], n: number): AnswerLogprob[] {
    const out: AnswerLogprob[] = [];
    for (let position = this.reported; position < n; position++) {
      const id = ids[position] as number;
      const lp = this.byPosition.get(position);
      out.push({
        ...this.text(id, position),
        logprob: lp?.logprob ?? 0,
        top: (lp?.top ?? []).map((t) => ({ ...this.text(t.token, position), logprob: t.logprob })),
      });
    }
    this.reported = Math.max(this.reported, n);
    return out;
  }

  private text(id: number, position: number): TokenText {
    const bytes = this.tokens.bytesOf(id, position);
    return { token: utf8.decode(bytes), bytes: Array.from(bytes) };
  }
}

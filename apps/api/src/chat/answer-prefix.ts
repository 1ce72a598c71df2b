/**
 * The committed prefix of an answer canvas, as text that only grows: a token joins the prefix
 * once every position before it is committed. In a plain canvas the prefix ends at the first
 * end-of-text; in a structured one (a template) end-of-text only closes its slot, so it is
 * skipped. `advance` returns the new text to send (a delta), holding back an incomplete UTF-8
 * character and any tail that could begin a stop sequence.
 */
import { cutAtStop, holdBack } from './stop-sequences.js';

export interface PrefixTokens {
  readonly maskId: number;
  /** End-of-text and padding ids. */
  readonly endIds: ReadonlySet<number>;
  readonly eosId: number;
  readonly structured: boolean;
  decode(ids: readonly number[]): string;
}

export class AnswerPrefix {
  private sent = '';
  private stoppedAt: string | undefined;

  constructor(
    private readonly tokens: PrefixTokens,
    private readonly stop: readonly string[],
  ) {}

  /** Text sent so far. */
  get text(): string {
    return this.sent;
  }

  /** Whether a stop sequence has been reached (the answer is final). */
  get stopped(): boolean {
    return this.stoppedAt !== undefined;
  }

  /** The committed prefix's token ids in `canvas`, and whether it reaches the end of the answer. */
  prefixIds(canvas: readonly number[]): { ids: number[]; complete: boolean } {
    const ids: number[] = [];
    for (const id of canvas) {
      if (id === this.tokens.maskId) return { ids, complete: false };
      if (this.tokens.endIds.has(id)) {
        if (!this.tokens.structured && id === this.tokens.eosId) return { ids, complete: true };
        continue;
      }
      ids.push(id);
    }
    return { ids, complete: true };
  }

  /** The delta after a step; '' when nothing new is safe to send. */
  advance(canvas: readonly number[]): string {
    if (this.stopped) return '';
    const { ids, complete } = this.prefixIds(canvas);
    const decoded = this.tokens.decode(ids);
    const cut = cutAtStop(decoded, this.stop);
    if (cut.stopped) {
      this.stoppedAt = cut.text;
      return this.take(cut.text);
    }
    let safe = decoded.endsWith('\uFFFD') ? decoded.replace(/\uFFFD+$/, '') : decoded;
    if (!complete) safe = safe.slice(0, safe.length - holdBack(safe, this.stop));
    return this.take(safe);
  }

  /** The rest of the final answer (already cut at a stop sequence). */
  finish(finalText: string): string {
    return this.take(this.stoppedAt ?? finalText);
  }

  private take(text: string): string {
    if (!text.startsWith(this.sent) || text.length <= this.sent.length) return '';
    const delta = text.slice(this.sent.length);
    this.sent = text;
    return delta;
  }
}

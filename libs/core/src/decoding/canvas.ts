/**
 * The answer canvas: the positions after the prompt, each either a fixed token, a committed
 * token or a mask. Positions are grouped into regions (the slots of the response template) for
 * end-of-text prediction. A mask after a committed stop token is *frozen*: it keeps the mask id
 * in the model's input but is no longer decoded (LLaDA-V's stop at `<|eot_id|>`).
 */
import { AnswerLayout } from './answer-layout.js';
import type { ResponseTemplate } from './template.js';

export class AnswerCanvas {
  readonly ids: Int32Array;
  /** Which positions are fixed tokens and which belong to which slot (region). */
  readonly layout: AnswerLayout;
  private readonly masked: Uint8Array;
  private readonly frozen: Uint8Array;
  private masks: number;
  readonly initialMasks: number;

  constructor(
    template: ResponseTemplate,
    readonly maskTokenId: number,
    /** Tokens that end a slot like EOS, and after which nothing more is decoded. */
    readonly stopTokens: readonly number[] = [],
  ) {
    this.layout = AnswerLayout.of(template, stopTokens);
    const length = this.layout.length;
    this.ids = new Int32Array(length);
    this.masked = new Uint8Array(length);
    this.frozen = new Uint8Array(length);
    let at = 0;
    for (const part of template.parts) {
      if (part.type === 'text') {
        this.ids.set(part.ids, at);
        at += part.ids.length;
      } else {
        this.ids.fill(maskTokenId, at, at + part.length);
        this.masked.fill(1, at, at + part.length);
        at += part.length;
      }
    }
    this.masks = this.layout.regions.reduce((n, [s, e]) => n + e - s, 0);
    this.initialMasks = this.masks;
  }

  get length(): number {
    return this.ids.length;
  }

  /** Masks still to decode (frozen ones excluded). */
  get maskCount(): number {
    return this.masks;
  }

  /** Fraction of the initial masks already committed, in [0, 1]. */
  get progress(): number {
    return this.initialMasks === 0 ? 1 : 1 - this.masks / this.initialMasks;
  }

  isMasked(position: number): boolean {
    return this.masked[position] === 1;
  }

  /** Masked positions within `[start, end)`, in order. */
  maskedIn(start: number, end: number): number[] {
    const out: number[] = [];
    for (let i = start; i < Math.min(end, this.length); i++) if (this.masked[i] === 1) out.push(i);
    return out;
  }

  commit(position: number, token: number): void {
    if (this.masked[position] !== 1) throw new Error(`position ${position} is not masked`);
    this.masked[position] = 0;
    this.ids[position] = token;
    this.masks -= 1;
  }

  /**
   * Freezes every mask after the first stop token of each slot (the answer ends there). Returns
   * the positions frozen now.
   */
  freezeAfterStop(): number[] {
    const frozen: number[] = [];
    if (this.stopTokens.length === 0) return frozen;
    for (const [start, end] of this.layout.regions) {
      let stopped = false;
      for (let i = start; i < end; i++) {
        if (stopped && this.masked[i] === 1) {
          this.masked[i] = 0;
          this.frozen[i] = 1;
          this.masks -= 1;
          frozen.push(i);
        } else if (this.masked[i] === 0 && this.frozen[i] === 0 && this.stopTokens.includes(this.ids[i] as number))
          stopped = true;
      }
    }
    return frozen;
  }

  /**
   * End-of-text prediction: every masked position after `position` in its region becomes
   * `eos`. Returns the positions filled.
   */
  fillAfter(position: number, eos: number): number[] {
    const region = this.layout.regions[this.layout.regionOf[position] as number];
    if (!region) return [];
    const filled: number[] = [];
    for (let i = position + 1; i < region[1]; i++) {
      if (this.masked[i] === 1) {
        this.commit(i, eos);
        filled.push(i);
      } else {
        this.ids[i] = eos; // a token committed past the end of the text is dropped with it
      }
    }
    return filled;
  }
}

/**
 * The answer canvas: the positions after the prompt, each either a fixed token, a committed
 * token or a mask. Positions are grouped into regions (the slots of the response template) for
 * end-of-text prediction.
 */
import type { ResponseTemplate } from './template.js';

export class AnswerCanvas {
  readonly ids: Int32Array;
  /** Region index of each position; -1 for fixed template tokens. */
  readonly regionOf: Int32Array;
  readonly regions: readonly (readonly [start: number, end: number])[];
  private readonly masked: Uint8Array;
  private masks: number;
  readonly initialMasks: number;

  constructor(
    template: ResponseTemplate,
    readonly maskTokenId: number,
  ) {
    const length = template.parts.reduce((n, p) => n + (p.type === 'text' ? p.ids.length : p.length), 0);
    this.ids = new Int32Array(length);
    this.regionOf = new Int32Array(length).fill(-1);
    this.masked = new Uint8Array(length);
    const regions: [number, number][] = [];
    let at = 0;
    for (const part of template.parts) {
      if (part.type === 'text') {
        this.ids.set(part.ids, at);
        at += part.ids.length;
      } else {
        this.ids.fill(maskTokenId, at, at + part.length);
        this.masked.fill(1, at, at + part.length);
        this.regionOf.fill(regions.length, at, at + part.length);
        regions.push([at, at + part.length]);
        at += part.length;
      }
    }
    this.regions = regions;
    this.masks = regions.reduce((n, [s, e]) => n + e - s, 0);
    this.initialMasks = this.masks;
  }

  get length(): number {
    return this.ids.length;
  }

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
   * End-of-text prediction: every masked position after `position` in its region becomes
   * `eos`. Returns the positions filled.
   */
  fillAfter(position: number, eos: number): number[] {
    const region = this.regions[this.regionOf[position] as number];
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

  /**
   * The answer's tokens: fixed tokens, and in each region the tokens before its first EOS
   * (padding dropped). The free text of a plain answer thus ends at its first EOS.
   */
  resultTokens(eos: number, pad: number): number[] {
    const out: number[] = [];
    let ended = -1;
    for (let i = 0; i < this.length; i++) {
      const region = this.regionOf[i] as number;
      if (region === -1) {
        out.push(this.ids[i] as number);
        continue;
      }
      if (ended === region) continue;
      const id = this.ids[i] as number;
      if (id === eos) {
        ended = region;
        continue;
      }
      if (id !== pad) out.push(id);
    }
    return out;
  }

  hasEos(eos: number): boolean {
    for (let i = 0; i < this.length; i++) if (this.regionOf[i] !== -1 && this.ids[i] === eos) return true;
    return false;
  }
}

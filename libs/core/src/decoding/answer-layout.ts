/**
 * Where an answer ends, decided in this one place. An answer canvas is fixed template tokens
 * and slots (a plain answer is one slot); a slot's text ends at its first end-of-text (EOS) or
 * stop token (the request's `stop_tokens`, e.g. LLaDA-V's `<|eot_id|>`), padding is dropped. `read` gives the answer's token ids from a final canvas, and from a canvas
 * still being decoded its committed prefix: the ids before the first mask that still counts (a
 * mask after its slot's EOS does not). The engine's result, the pipeline's streamed text and
 * its final text all read a canvas through here.
 */
import type { FinishReason } from './events.js';
import type { ResponseTemplate } from './template.js';

/** The token ids that mark masks, end-of-text and padding (a `ModelInfo` has them). */
export interface AnswerEnds {
  readonly maskTokenId: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
}

export interface AnswerRead {
  /** Fixed tokens and decoded tokens, each slot cut at its first EOS, padding dropped. */
  readonly ids: number[];
  /** False while a mask that counts is left: `ids` is then the committed prefix. */
  readonly complete: boolean;
}

export class AnswerLayout {
  private constructor(
    /** Slot index of each position; -1 for fixed template tokens. */
    readonly regionOf: Int32Array,
    /** `[start, end)` of each slot. */
    readonly regions: readonly (readonly [start: number, end: number])[],
    /** Whether the template ends in a slot (an answer can then run out of room). */
    private readonly endsInSlot: boolean,
    /** Token ids that end a slot like EOS. */
    readonly stopTokens: readonly number[],
  ) {}

  static of(template: ResponseTemplate, stopTokens: readonly number[] = []): AnswerLayout {
    const length = template.parts.reduce((n, p) => n + (p.type === 'text' ? p.ids.length : p.length), 0);
    const regionOf = new Int32Array(length).fill(-1);
    const regions: [number, number][] = [];
    let at = 0;
    for (const part of template.parts) {
      if (part.type === 'text') {
        at += part.ids.length;
      } else {
        regionOf.fill(regions.length, at, at + part.length);
        regions.push([at, at + part.length]);
        at += part.length;
      }
    }
    return new AnswerLayout(regionOf, regions, template.parts.at(-1)?.type === 'slot', stopTokens);
  }

  get length(): number {
    return this.regionOf.length;
  }

  read(canvas: ArrayLike<number>, ends: AnswerEnds): AnswerRead {
    const ids: number[] = [];
    let ended = -1;
    for (let i = 0; i < this.length; i++) {
      const region = this.regionOf[i] as number;
      const id = canvas[i] as number;
      if (region === -1) {
        ids.push(id);
        continue;
      }
      if (region === ended) continue;
      if (id === ends.maskTokenId) return { ids, complete: false };
      if (id === ends.eosTokenId || this.stopTokens.includes(id)) ended = region;
      else if (id !== ends.padTokenId) ids.push(id);
    }
    return { ids, complete: true };
  }

  /** `length` when the answer ends in a slot that no EOS or stop token closed (the canvas ran out), else `stop`. */
  finishReason(canvas: ArrayLike<number>, eos: number): FinishReason {
    const last = this.regions.at(-1);
    if (!this.endsInSlot || !last) return 'stop';
    for (let i = last[0]; i < last[1]; i++) {
      const id = canvas[i] as number;
      if (id === eos || this.stopTokens.includes(id)) return 'stop';
    }
    return 'length';
  }
}

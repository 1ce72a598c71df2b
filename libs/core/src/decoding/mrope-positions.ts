/**
 * Multimodal rotary positions (M-RoPE) of one request: the caller's table for the prompt
 * (`3 × prompt length`, row-major [3, prompt]: temporal, height, width), and, for every answer
 * position after it, the running text index that continues one past the prompt's largest
 * position (all three components equal), as Qwen2-VL / Dimple number the tokens after the last
 * image. Rows of any segment of prompt ++ answer (a cache's prefix, a block) are cut from it.
 * The table is the caller's: the engine knows nothing of images.
 */
import { UnmaskError } from '../errors.js';

export class MropePositions {
  /** Added to an answer position's absolute index: (largest prompt position + 1) − prompt length. */
  readonly delta: number;

  private constructor(
    private readonly prompt: Int32Array,
    private readonly promptLength: number,
  ) {
    let max = -1;
    for (const p of prompt) max = Math.max(max, p);
    this.delta = max + 1 - promptLength;
  }

  /** Validates `table` (3 × `promptLength` non-negative integers). */
  static of(table: ArrayLike<number>, promptLength: number): MropePositions {
    if (table.length !== 3 * promptLength) {
      throw new UnmaskError(
        'invalid_parameter',
        `mropePositions has ${table.length} entries; expected 3 × the prompt's ${promptLength} tokens`,
        'mropePositions',
      );
    }
    const prompt = new Int32Array(table.length);
    for (let i = 0; i < table.length; i++) {
      const p = table[i]!;
      if (!Number.isInteger(p) || p < 0)
        throw new UnmaskError(
          'invalid_parameter',
          `mropePositions[${i}] = ${p} is not a non-negative integer`,
          'mropePositions',
        );
      prompt[i] = p;
    }
    return new MropePositions(prompt, promptLength);
  }

  /** Row-major [3, end − start] positions of the absolute range [start, end) of prompt ++ answer. */
  segment(start: number, end: number): Int32Array {
    const n = end - start;
    const out = new Int32Array(3 * n);
    for (let c = 0; c < 3; c++) {
      for (let a = start; a < end; a++)
        out[c * n + a - start] = a < this.promptLength ? this.prompt[c * this.promptLength + a]! : a + this.delta;
    }
    return out;
  }
}

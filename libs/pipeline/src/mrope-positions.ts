/**
 * The prompt's 3-D rotary positions for a bundle whose LM uses M-RoPE (`lm.position_ids:
 * "mrope"`, Dimple / Qwen2-VL), numbered as Qwen2-VL's get_rope_index numbers them:
 *
 * - a text token takes the running index in all three components (temporal, height, width);
 * - the tokens of an image (one per merged patch, in the tower's row-major order) take
 *   (t, h, w) of the merged grid (t, grid_h / merge, grid_w / merge) plus the index at which the
 *   image starts;
 * - the text after an image continues one past the largest index so far.
 *
 * The result is the table the engine takes (`mropePositions`, row-major [3, prompt]); the
 * engine continues the answer canvas from it (core's decoding/mrope-positions.ts).
 */
import { UnmaskError } from '@unmask/core';

export interface GridSpan {
  /** First prompt position of the image's tokens. */
  readonly offset: number;
  /** Its tokens (grid_t · grid_h · grid_w / merge²). */
  readonly count: number;
  /** `image_grid_thw` as the processor gave it (patches, before merging). */
  readonly grid: readonly [t: number, h: number, w: number];
}

export function mropePositionTable(promptLength: number, images: readonly GridSpan[], mergeSize: number): Int32Array {
  const table = new Int32Array(3 * promptLength);
  const put = (position: number, t: number, h: number, w: number) => {
    table[position] = t;
    table[promptLength + position] = h;
    table[2 * promptLength + position] = w;
  };
  const spans = [...images].sort((a, b) => a.offset - b.offset);
  let next = 0;
  let position = 0;
  for (const span of spans) {
    const [t, gh, gw] = span.grid;
    if (gh % mergeSize !== 0 || gw % mergeSize !== 0) {
      throw new UnmaskError(
        'invalid_bundle',
        `image_grid_thw [${t}, ${gh}, ${gw}] is not a multiple of the merge size ${mergeSize}`,
        'vision.tokens_per_image',
      );
    }
    const h = gh / mergeSize;
    const w = gw / mergeSize;
    if (t * h * w !== span.count) {
      throw new UnmaskError(
        'invalid_bundle',
        `an image of grid [${t}, ${gh}, ${gw}] (merge ${mergeSize}) has ${t * h * w} positions, but its features have ${span.count} rows`,
        'vision.tokens_per_image',
      );
    }
    if (span.offset < position || span.offset + span.count > promptLength) {
      throw new UnmaskError(
        'invalid_parameter',
        `image positions ${span.offset}..${span.offset + span.count} overlap another image or run past the prompt (${promptLength} tokens)`,
        'images',
      );
    }
    for (; position < span.offset; position++, next++) put(position, next, next, next);
    for (let ti = 0; ti < t; ti++) {
      for (let hi = 0; hi < h; hi++) {
        for (let wi = 0; wi < w; wi++) put(position++, next + ti, next + hi, next + wi);
      }
    }
    next += Math.max(t, h, w);
  }
  for (; position < promptLength; position++, next++) put(position, next, next, next);
  return table;
}

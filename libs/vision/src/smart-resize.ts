/**
 * Qwen2-VL's target size: both sides multiples of `factor` (patch_size × merge_size = 28),
 * the pixel count within [minPixels, maxPixels], the aspect ratio kept as well as that allows.
 * The same arithmetic as transformers' `smart_resize`, including Python's `round` (halves go to
 * the even neighbour), so grids agree with the reference exactly.
 */
import { UnmaskError } from '@unmask/core';

/** Python 3 `round(x)`: nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export interface SmartResizeOptions {
  readonly factor: number;
  readonly minPixels: number;
  readonly maxPixels: number;
  /** Largest accepted long/short side ratio; transformers refuses beyond 200. */
  readonly maxAspectRatio?: number;
}

export function smartResize(
  height: number,
  width: number,
  options: SmartResizeOptions,
): { height: number; width: number } {
  const { factor, minPixels, maxPixels } = options;
  const maxAspectRatio = options.maxAspectRatio ?? 200;
  if (Math.max(height, width) / Math.min(height, width) > maxAspectRatio) {
    throw new UnmaskError(
      'invalid_media',
      `image aspect ratio ${width}×${height} is more extreme than ${maxAspectRatio}:1, which the Qwen2-VL processor refuses`,
      'image',
    );
  }
  let h = roundHalfEven(height / factor) * factor;
  let w = roundHalfEven(width / factor) * factor;
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: h, width: w };
}

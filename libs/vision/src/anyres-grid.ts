/**
 * Which anyres grid an image gets (LLaVA's `select_best_resolution` / `get_anyres_image_grid_shape`,
 * ML-GSAI/LLaDA-V `train/llava/mm_utils.py`): of the pinpoint resolutions, the one that keeps
 * the most of the image's pixels once it is scaled to fit (never counting more than the image
 * has), ties going to the one that wastes the least area, then to the first listed. The same
 * floating-point operations in the same order as upstream, so borderline sizes choose alike.
 */
import { UnmaskError } from '@unmask/core';

export interface AnyresGrid {
  /** The chosen pinpoint resolution, pixels. */
  readonly width: number;
  readonly height: number;
  /** Tiles across and down: width / tile, height / tile. */
  readonly columns: number;
  readonly rows: number;
}

/** The best-fitting resolution for a `width` × `height` image; see the header. */
export function selectBestResolution(
  width: number,
  height: number,
  pinpoints: readonly (readonly [number, number])[],
): readonly [number, number] {
  if (!(width >= 1 && height >= 1) || pinpoints.length === 0) {
    throw new UnmaskError(
      'invalid_parameter',
      `anyres: no resolution for a ${width}×${height} image among ${pinpoints.length} pinpoints`,
      'image',
    );
  }
  let best = pinpoints[0]!;
  let maxEffective = 0;
  let minWasted = Number.POSITIVE_INFINITY;
  for (const candidate of pinpoints) {
    const [w, h] = candidate;
    const scale = Math.min(w / width, h / height);
    const effective = Math.min(Math.trunc(width * scale) * Math.trunc(height * scale), width * height);
    const wasted = w * h - effective;
    if (effective > maxEffective || (effective === maxEffective && wasted < minWasted)) {
      maxEffective = effective;
      minWasted = wasted;
      best = candidate;
    }
  }
  return best;
}

/** The grid of `tile` × `tile` tiles a `width` × `height` image is cut into. */
export function anyresGrid(
  width: number,
  height: number,
  pinpoints: readonly (readonly [number, number])[],
  tile: number,
): AnyresGrid {
  const [w, h] = selectBestResolution(width, height, pinpoints);
  return { width: w, height: h, columns: Math.floor(w / tile), rows: Math.floor(h / tile) };
}

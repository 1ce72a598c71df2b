/**
 * The rows an anyres image takes in the prompt (LLaVA-OneVision's `spatial_unpad` merge with
 * `anyres_max_N`, ML-GSAI/LLaDA-V `train/llava/model/llava_arch.py`,
 * `prepare_inputs_labels_for_multimodal` and `unpad_image`):
 *
 * 1. the base view's `side`² rows;
 * 2. the tiles' features laid out as one map of (rows·side) × (columns·side) cells, cut back to
 *    the image's aspect ratio (the padding bands removed: `unpad`);
 * 3. with `anyres_max_N`, when that map holds more than 1.1² × N tiles' worth of cells, scaled
 *    down bilinearly (torch's `interpolate`, `align_corners` false) by the factor
 *    √(cells / (N · side²)), each side floored;
 * 4. row by row, each row followed by the `image_newline` row.
 *
 * `anyresLayout` and `anyresRowCount` need only the image's size (read from its header), so the
 * prompt's positions are known before any pixel is decoded; `mergeAnyresFeatures` builds the rows.
 * Same floating-point operations as upstream (Python's float floor division included), so the
 * counts agree at every size.
 */
import { UnmaskError } from '@unmask/core';
import type { AnyresGrid } from '@unmask/vision';

export interface AnyresLayout {
  readonly grid: AnyresGrid;
  /** Feature cells per tile side (√ of the tower's rows per view: 27 for SigLIP 384/14). */
  readonly side: number;
  /** The window of the tiles' (rows·side) × (columns·side) map that survives unpadding. */
  readonly kept: { readonly top: number; readonly left: number; readonly height: number; readonly width: number };
  /** The map's size after the anyres_max downscale (the kept size when none applies). */
  readonly output: { readonly height: number; readonly width: number };
  /** All rows: side² + output.height × (output.width + 1). */
  readonly rows: number;
}

/** Python's `a // b` for floats (CPython's float_floor_div), which can differ from ⌊a / b⌋. */
export function pythonFloorDiv(a: number, b: number): number {
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return 0;
  let floor = Math.floor(div);
  if (div - floor > 0.5) floor += 1;
  return floor;
}

/**
 * Where the image's content lies in a `height` × `width` feature map of its padded grid
 * (`unpad_image`): the padding of the resize-and-pad step, in feature cells, is cut off
 * symmetrically (so an odd remainder leaves one cell more than the content).
 */
function unpad(imageWidth: number, imageHeight: number, height: number, width: number): AnyresLayout['kept'] {
  if (imageWidth / imageHeight > width / height) {
    const newHeight = Math.trunc(imageHeight * (width / imageWidth));
    const padding = Math.floor((height - newHeight) / 2);
    return { top: padding, left: 0, height: height - 2 * padding, width };
  }
  const newWidth = Math.trunc(imageWidth * (height / imageHeight));
  const padding = Math.floor((width - newWidth) / 2);
  return { top: 0, left: padding, height, width: width - 2 * padding };
}

export function anyresLayout(
  imageWidth: number,
  imageHeight: number,
  grid: AnyresGrid,
  side: number,
  maxPatches: number | undefined,
): AnyresLayout {
  const kept = unpad(imageWidth, imageHeight, grid.rows * side, grid.columns * side);
  let output = { height: kept.height, width: kept.width };
  if (maxPatches !== undefined) {
    const times = Math.sqrt((kept.height * kept.width) / (maxPatches * side ** 2));
    if (times > 1.1) {
      output = { height: pythonFloorDiv(kept.height, times), width: pythonFloorDiv(kept.width, times) };
    }
  }
  return { grid, side, kept, output, rows: side * side + output.height * (output.width + 1) };
}

/**
 * The prompt rows of an anyres image: base-view rows, then the (unpadded, maybe downscaled) tile
 * map row by row with `newline` after each row. `views` holds the tower's rows of every view
 * ([1 + tiles, side², hidden], base view first, tiles row by row), as the processor made them.
 */
export function mergeAnyresFeatures(
  views: Float32Array,
  layout: AnyresLayout,
  newline: Float32Array,
  hidden: number,
): Float32Array {
  const { grid, side, kept, output } = layout;
  const perView = side * side;
  const viewCount = 1 + grid.rows * grid.columns;
  if (views.length !== viewCount * perView * hidden || newline.length !== hidden) {
    throw new UnmaskError(
      'runtime_error',
      `anyres: expected ${viewCount} views × ${perView} rows × ${hidden} and a ${hidden}-wide newline, got ${views.length} values and a ${newline.length}-wide newline`,
      'vision',
    );
  }
  const out = new Float32Array(layout.rows * hidden);
  out.set(views.subarray(0, perView * hidden), 0);
  // Row offset in `views` of cell (y, x) of the kept window of the tile map.
  const cell = (y: number, x: number): number => {
    const my = kept.top + y;
    const mx = kept.left + x;
    const tile = 1 + Math.floor(my / side) * grid.columns + Math.floor(mx / side);
    return (tile * perView + (my % side) * side + (mx % side)) * hidden;
  };
  let at = perView * hidden;
  const scaled = output.height !== kept.height || output.width !== kept.width;
  const ys = scaled ? linearTaps(kept.height, output.height) : undefined;
  const xs = scaled ? linearTaps(kept.width, output.width) : undefined;
  for (let y = 0; y < output.height; y++) {
    for (let x = 0; x < output.width; x++) {
      if (!ys || !xs) {
        out.set(views.subarray(cell(y, x), cell(y, x) + hidden), at);
      } else {
        const a = cell(ys.i0[y]!, xs.i0[x]!);
        const b = cell(ys.i0[y]!, xs.i1[x]!);
        const c = cell(ys.i1[y]!, xs.i0[x]!);
        const d = cell(ys.i1[y]!, xs.i1[x]!);
        const [wy0, wy1, wx0, wx1] = [ys.w0[y]!, ys.w1[y]!, xs.w0[x]!, xs.w1[x]!];
        for (let k = 0; k < hidden; k++) {
          out[at + k] =
            wy0 * (wx0 * views[a + k]! + wx1 * views[b + k]!) + wy1 * (wx0 * views[c + k]! + wx1 * views[d + k]!);
        }
      }
      at += hidden;
    }
    out.set(newline, at);
    at += hidden;
  }
  return out;
}

/** torch's linear interpolation taps, `align_corners` false, output size given: source index pairs and weights. */
function linearTaps(inSize: number, outSize: number) {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = Math.max(scale * (i + 0.5) - 0.5, 0);
    const lo = Math.floor(src);
    i0[i] = lo;
    i1[i] = lo < inSize - 1 ? lo + 1 : lo;
    w1[i] = src - lo;
    w0[i] = 1 - w1[i]!;
  }
  return { i0, i1, w0, w1 };
}

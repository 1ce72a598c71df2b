/**
 * Qwen2-VL patchification. A still image becomes `temporal_patch_size` identical frames; the
 * [T, 3, H, W] video is cut into patches of temporal_patch_size × patch × patch, ordered so that
 * the merge_size × merge_size patches the merger later fuses are consecutive:
 * rows are (t, h-block, w-block, h-in-block, w-in-block), each row flattened as
 * (channel, frame, y, x): `[grid_t·grid_h·grid_w, 3·temporal·patch·patch]`, as transformers'
 * Qwen2VLImageProcessor emits it.
 */
import { UnmaskError } from '@unmask/core';

export interface PatchifyOptions {
  readonly patchSize: number;
  readonly mergeSize: number;
  readonly temporalPatchSize: number;
}

export interface Patches {
  readonly data: Float32Array;
  readonly rows: number;
  readonly rowLength: number;
  /** [grid_t, grid_h, grid_w] in patches. */
  readonly gridThw: readonly [number, number, number];
}

/** `frame` is channels-first [3, height, width]; it is repeated temporalPatchSize times. */
export function patchifyFrame(frame: Float32Array, height: number, width: number, options: PatchifyOptions): Patches {
  const { patchSize: p, mergeSize: m, temporalPatchSize: t } = options;
  if (height % (p * m) !== 0 || width % (p * m) !== 0) {
    throw new UnmaskError(
      'invalid_parameter',
      `patchify: ${width}×${height} is not a multiple of patch_size × merge_size = ${p * m} on both sides`,
      'size',
    );
  }
  const gridH = height / p;
  const gridW = width / p;
  const rowLength = 3 * t * p * p;
  const rows = gridH * gridW;
  const data = new Float32Array(rows * rowLength);
  const plane = height * width;
  let o = 0;
  for (let bh = 0; bh < gridH / m; bh++) {
    for (let bw = 0; bw < gridW / m; bw++) {
      for (let ih = 0; ih < m; ih++) {
        for (let iw = 0; iw < m; iw++) {
          const y0 = (bh * m + ih) * p;
          const x0 = (bw * m + iw) * p;
          for (let c = 0; c < 3; c++) {
            for (let f = 0; f < t; f++) {
              // Every frame is the same still image.
              for (let y = 0; y < p; y++) {
                const src = c * plane + (y0 + y) * width + x0;
                data.set(frame.subarray(src, src + p), o);
                o += p;
              }
            }
          }
        }
      }
    }
  }
  return { data, rows, rowLength, gridThw: [1, gridH, gridW] };
}

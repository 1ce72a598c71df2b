/**
 * Rescale and normalise: 8-bit interleaved RGB → float32 channels-first [3, H, W] with
 * `(v · rescale_factor − mean[c]) / std[c]`. Computed in float64 and stored as float32, which
 * agrees with transformers' fused float32 version within one float32 rounding step.
 */
import type { RgbImage } from './rgb-image.js';

export interface NormalizeOptions {
  /** Multiply bytes by this (1/255) first; omit to skip rescaling. */
  readonly rescaleFactor?: number;
  /** Per-channel mean and std; omit both to skip normalisation. */
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
}

export function toChannelsFirst(image: RgbImage, options: NormalizeOptions): Float32Array {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  const scale = options.rescaleFactor ?? 1;
  for (let c = 0; c < 3; c++) {
    const mean = options.mean?.[c] ?? 0;
    const std = options.std?.[c] ?? 1;
    // One lookup table per channel: 256 possible byte values.
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v * scale - mean) / std;
    for (let i = 0; i < plane; i++) out[c * plane + i] = table[data[i * 3 + c]!]!;
  }
  return out;
}

/**
 * Separable, antialiased resizing of 8-bit RGB images, reproducing the integer arithmetic of the
 * two implementations Hugging Face image processors use, so that `pixel_values` come out
 * bit-identical before normalisation:
 *
 * - `'torchvision'`: torch's uint8 antialiased kernel (what transformers' default "fast" image
 *   processors run through `torchvision.transforms.v2.functional.resize(..., antialias=True)`):
 *   int16 weights scaled by 2^p, p the largest precision at which the axis' largest weight
 *   still fits in int16.
 * - `'pillow'`: Pillow's `Image.resize` (the "slow" processors): int32 weights scaled by 2^22.
 *
 * Both compute the same floating-point filter weights (a kernel stretched by the downscale factor,
 * normalised to sum 1 per output pixel), run the horizontal pass first into an 8-bit
 * intermediate image, then the vertical pass, rounding and clamping to 0..255 after each pass.
 * They differ only in how the weights are quantised; that changes the odd pixel by one level.
 * Hand-written: sharp's (libvips') kernels match neither arithmetic (README, measured).
 */
import { UnmaskError } from '@unmask/core';
import type { RgbImage } from './rgb-image.js';
import { assertRgbImage } from './rgb-image.js';

export type ResampleFilter = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos' | 'box' | 'hamming';
export type ResizeArithmetic = 'torchvision' | 'pillow';

/** PIL.Image.Resampling codes, as they appear in preprocessor_config.json's `resample`. */
export const PIL_RESAMPLE_CODES: Readonly<Record<number, ResampleFilter>> = {
  0: 'nearest',
  1: 'lanczos',
  2: 'bilinear',
  3: 'bicubic',
  4: 'box',
  5: 'hamming',
};

interface Kernel {
  readonly support: number;
  readonly weight: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const KERNELS: Readonly<Record<Exclude<ResampleFilter, 'nearest'>, Kernel>> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  hamming: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const px = a * Math.PI;
      return (Math.sin(px) / px) * (0.54 + 0.46 * Math.cos(px));
    },
  },
  // Keys' cubic convolution with a = -0.5, as both Pillow and torch define it.
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** Integer weights of one axis: output i reads `count[i]` inputs from `start[i]`. */
interface AxisWeights {
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** outSize × taps integer weights. */
  readonly weights: Float64Array;
  readonly taps: number;
  /** Fixed-point precision: weights are scaled by 2^precision. */
  readonly precision: number;
}

function axisWeights(inSize: number, outSize: number, kernel: Kernel, arithmetic: ResizeArithmetic): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const real = new Float64Array(outSize * taps);
  let maxWeight = 0;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // Truncation toward zero, as the C casts do; negative values are clamped to 0 anyway.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = hi - lo;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const w = kernel.weight((j + lo - center + 0.5) / filterScale);
      real[i * taps + j] = w;
      total += w;
    }
    if (total !== 0) {
      for (let j = 0; j < n; j++) {
        const w = real[i * taps + j]! / total;
        real[i * taps + j] = w;
        if (w > maxWeight) maxWeight = w;
      }
    }
    start[i] = lo;
    count[i] = n;
  }
  let precision = 22;
  if (arithmetic === 'torchvision') {
    // The largest p < 22 such that the largest weight scaled by 2^(p+1) would no longer fit in int16.
    for (precision = 0; precision < 22; precision++) {
      if (Math.trunc(0.5 + maxWeight * 2 ** (precision + 1)) >= 1 << 15) break;
    }
  }
  const unit = 2 ** precision;
  const weights = new Float64Array(outSize * taps);
  for (let k = 0; k < real.length; k++) {
    const v = real[k]! * unit;
    weights[k] = Math.trunc(v < 0 ? v - 0.5 : v + 0.5);
  }
  return { start, count, weights, taps, precision };
}

/** One pass along x (`horizontal`) or y, from `src` (srcW × srcH) into a new 8-bit buffer. */
function convolve(src: Uint8Array, srcW: number, srcH: number, axis: AxisWeights, horizontal: boolean): Uint8Array {
  const outW = horizontal ? axis.start.length : srcW;
  const outH = horizontal ? srcH : axis.start.length;
  const out = new Uint8Array(outW * outH * 3);
  const { start, count, weights, taps, precision } = axis;
  const half = 2 ** (precision - 1);
  const unit = 2 ** precision;
  // Input stride (in bytes) between consecutive taps.
  const tapStride = horizontal ? 3 : srcW * 3;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const i = horizontal ? x : y;
      const base = horizontal ? (y * srcW + start[i]!) * 3 : (start[i]! * srcW + x) * 3;
      const n = count[i]!;
      const w0 = i * taps;
      let r = half;
      let g = half;
      let b = half;
      for (let j = 0, p = base; j < n; j++, p += tapStride) {
        const w = weights[w0 + j]!;
        r += src[p]! * w;
        g += src[p + 1]! * w;
        b += src[p + 2]! * w;
      }
      const o = (y * outW + x) * 3;
      out[o] = clamp8(Math.floor(r / unit));
      out[o + 1] = clamp8(Math.floor(g / unit));
      out[o + 2] = clamp8(Math.floor(b / unit));
    }
  }
  return out;
}

function clamp8(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}

/** Source index of every output position along one axis, for `nearest`. */
function nearestIndices(inSize: number, outSize: number, arithmetic: ResizeArithmetic): Int32Array {
  const indices = new Int32Array(outSize);
  if (arithmetic === 'pillow') {
    // Pillow's scaling transform: a running sum starting at half a step, truncated.
    const step = inSize / outSize;
    let position = step * 0.5;
    for (let i = 0; i < outSize; i++, position += step) indices[i] = Math.min(Math.trunc(position), inSize - 1);
    return indices;
  }
  // torch's `nearest-exact` (transformers maps PIL NEAREST to torchvision's NEAREST_EXACT):
  // floor((i + 0.5) · scale), the scale and the product held in float32.
  const scale = Math.fround(inSize / outSize);
  for (let i = 0; i < outSize; i++) indices[i] = Math.min(Math.floor(Math.fround((i + 0.5) * scale)), inSize - 1);
  return indices;
}

function resizeNearest(image: RgbImage, width: number, height: number, arithmetic: ResizeArithmetic): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const xs = nearestIndices(image.width, width, arithmetic);
  const ys = nearestIndices(image.height, height, arithmetic);
  for (let y = 0; y < height; y++) {
    const sy = ys[y]!;
    for (let x = 0; x < width; x++) {
      const s = (sy * image.width + xs[x]!) * 3;
      const o = (y * width + x) * 3;
      data[o] = image.data[s]!;
      data[o + 1] = image.data[s + 1]!;
      data[o + 2] = image.data[s + 2]!;
    }
  }
  return { width, height, data };
}

export interface ResizeOptions {
  readonly filter: ResampleFilter;
  /** Whose integer arithmetic to reproduce; default `'torchvision'`. */
  readonly arithmetic?: ResizeArithmetic;
}

/** Resizes an RGB image to width × height (antialiased when shrinking, except `nearest`). */
export function resizeRgb(image: RgbImage, width: number, height: number, options: ResizeOptions): RgbImage {
  assertRgbImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UnmaskError(
      'invalid_parameter',
      `resize target must be positive integers, got ${width}×${height}`,
      'size',
    );
  }
  const arithmetic = options.arithmetic ?? 'torchvision';
  if (options.filter === 'nearest') return resizeNearest(image, width, height, arithmetic);
  if (arithmetic === 'torchvision' && options.filter !== 'bilinear' && options.filter !== 'bicubic') {
    throw new UnmaskError(
      'invalid_parameter',
      `resample '${options.filter}' has no torchvision antialiased kernel (transformers' fast processors reject it); use resize_arithmetic 'pillow'`,
      'resample',
    );
  }
  const kernel = KERNELS[options.filter];
  let data = image.data;
  let w = image.width;
  const h = image.height;
  if (width !== w) {
    data = convolve(data, w, h, axisWeights(w, width, kernel, arithmetic), true);
    w = width;
  }
  if (height !== h) {
    data = convolve(data, w, h, axisWeights(h, height, kernel, arithmetic), false);
  }
  return { width, height, data: data === image.data ? new Uint8Array(data) : data };
}

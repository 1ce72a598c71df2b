/**
 * Windowed |DFT|² of a real frame of even length n (bins 0..n/2), built on fft.js, which only
 * transforms powers of two.
 *
 * The n real samples are packed into n/2 complex ones (even samples real, odd imaginary); their
 * n/2-point DFT is split back into the real signal's spectrum. When n/2 is a power of two, fft.js
 * does that DFT directly; otherwise (Whisper's n_fft = 400 gives 200) Bluestein's chirp-z algorithm
 * turns it into a circular convolution done with two power-of-two FFTs of at least n - 1 points.
 * The window and the chirp are folded into one set of precomputed coefficients, and the inverse
 * FFT is a forward FFT of the conjugate (scale folded into the kernel). All float64; buffers are
 * reused, so one instance serves one caller at a time.
 */
import FFT from 'fft.js';
import { UnmaskError } from '@unmask/core';

const isPowerOfTwo = (k: number) => k >= 2 && (k & (k - 1)) === 0;

type Source = Float32Array | Float64Array;

export class PowerSpectrum {
  readonly size: number;
  readonly bins: number;
  private readonly half: number;
  private readonly window: Float64Array;
  /** The packed DFT Z[0..n/2) (interleaved re/im), filled by `transformPacked`. */
  private readonly z: Float64Array;
  /** e^{-2πik/n}, k = 0..n/2, interleaved. */
  private readonly twiddle: Float64Array;
  private readonly transformPacked: (source: Source, offset: number) => void;

  /** `window` (length n) multiplies every frame; omitted, frames are used as they are. */
  constructor(size: number, window?: Float64Array) {
    if (!Number.isInteger(size) || size < 4 || size % 2 !== 0) {
      throw new UnmaskError('invalid_parameter', `PowerSpectrum: size must be an even integer ≥ 4, got ${size}`, 'n_fft');
    }
    if (window && window.length !== size) {
      throw new UnmaskError('invalid_parameter', `PowerSpectrum: window has ${window.length} points, size is ${size}`, 'window');
    }
    this.size = size;
    this.half = size / 2;
    this.bins = this.half + 1;
    this.window = window ?? new Float64Array(size).fill(1);
    this.z = new Float64Array(size);
    this.twiddle = new Float64Array(2 * this.bins);
    for (let k = 0; k <= this.half; k++) {
      this.twiddle[2 * k] = Math.cos((2 * Math.PI * k) / size);
      this.twiddle[2 * k + 1] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.transformPacked = isPowerOfTwo(this.half) ? this.direct() : this.bluestein();
  }

  /** Writes |X[k]|², k = 0..n/2, of the windowed frame source[offset .. offset + n) into `out`. */
  compute(source: Source, offset: number, out: Float64Array): void {
    const { half, z, twiddle } = this;
    this.transformPacked(source, offset);
    for (let k = 0; k <= half; k++) {
      const a = k === half ? 0 : k;
      const b = k === 0 ? 0 : half - k;
      const zr = z[2 * a]!, zi = z[2 * a + 1]!;
      const cr = z[2 * b]!, ci = -z[2 * b + 1]!; // conj(Z[n/2 - k])
      const er = zr + cr, ei = zi + ci; // 2 × the DFT of the even samples
      const or = zi - ci, oi = cr - zr; // 2 × the DFT of the odd samples
      const wr = twiddle[2 * k]!, wi = twiddle[2 * k + 1]!;
      const xr = er + wr * or - wi * oi;
      const xi = ei + wr * oi + wi * or;
      out[k] = 0.25 * (xr * xr + xi * xi);
    }
  }

  private direct(): (source: Source, offset: number) => void {
    const fft = new FFT(this.half);
    const packed = new Float64Array(this.size);
    const { window, z } = this;
    return (source, offset) => {
      for (let i = 0; i < packed.length; i++) packed[i] = source[offset + i]! * window[i]!;
      fft.transform(z, packed);
    };
  }

  private bluestein(): (source: Source, offset: number) => void {
    const points = this.half;
    let m = 2;
    while (m < 2 * points - 1) m *= 2;
    const fft = new FFT(m);
    // chirp[n] = e^{-iπ n²/N}; n² is reduced mod 2N so the angle stays exact.
    const chirp = new Float64Array(2 * points);
    for (let n = 0; n < points; n++) {
      const angle = (Math.PI * ((n * n) % (2 * points))) / points;
      chirp[2 * n] = Math.cos(angle);
      chirp[2 * n + 1] = -Math.sin(angle);
    }
    // Input coefficients: (x[2n]·w[2n] + i·x[2n+1]·w[2n+1]) · chirp[n], as four real factors.
    const pre = new Float64Array(4 * points);
    for (let n = 0; n < points; n++) {
      const w0 = this.window[2 * n]!, w1 = this.window[2 * n + 1]!;
      const cr = chirp[2 * n]!, ci = chirp[2 * n + 1]!;
      pre.set([w0 * cr, -w1 * ci, w0 * ci, w1 * cr], 4 * n);
    }
    // Kernel: FFT of conj(chirp) laid out circularly over m points, scaled by 1/m.
    const b = new Float64Array(2 * m);
    for (let n = 0; n < points; n++) {
      const re = chirp[2 * n]!, im = -chirp[2 * n + 1]!;
      b[2 * n] = re;
      b[2 * n + 1] = im;
      if (n > 0) {
        b[2 * (m - n)] = re;
        b[2 * (m - n) + 1] = im;
      }
    }
    const kernel = new Float64Array(2 * m);
    fft.transform(kernel, b);
    for (let i = 0; i < kernel.length; i++) kernel[i]! /= m;
    const a = new Float64Array(2 * m); // entries past 2·points stay zero
    const spectrum = new Float64Array(2 * m);
    const convolved = new Float64Array(2 * m);
    const { z } = this;
    return (source, offset) => {
      for (let n = 0; n < points; n++) {
        const xr = source[offset + 2 * n]!, xi = source[offset + 2 * n + 1]!;
        a[2 * n] = xr * pre[4 * n]! + xi * pre[4 * n + 1]!;
        a[2 * n + 1] = xr * pre[4 * n + 2]! + xi * pre[4 * n + 3]!;
      }
      fft.transform(spectrum, a);
      // conj(A·K): the forward FFT of the conjugate is m × the conjugate of the inverse FFT.
      for (let k = 0; k < m; k++) {
        const sr = spectrum[2 * k]!, si = spectrum[2 * k + 1]!;
        const kr = kernel[2 * k]!, ki = kernel[2 * k + 1]!;
        spectrum[2 * k] = sr * kr - si * ki;
        spectrum[2 * k + 1] = -(sr * ki + si * kr);
      }
      fft.transform(convolved, spectrum);
      for (let k = 0; k < points; k++) {
        const yr = convolved[2 * k]!, yi = -convolved[2 * k + 1]!; // undo the conjugate
        const cr = chirp[2 * k]!, ci = chirp[2 * k + 1]!;
        z[2 * k] = yr * cr - yi * ci;
        z[2 * k + 1] = yr * ci + yi * cr;
      }
    };
  }
}

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
      throw new UnmaskError(
        'invalid_parameter',
        `PowerSpectrum: size must be an even integer ≥ 4, got ${size}`,
        'n_fft',
      );
    }
    if (window && window.length !== size) {
      throw new UnmaskError(
        'invalid_parameter',
        `PowerSpectrum: window has ${window.length} points, size is ${size}`,
        'window',
      );
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
      const zr = z[2 * a]!,
        zi = z[2 * a + 1]!;
      const cr = z[2 * b]!,
        ci = -z[2 * b + 1]!; // conj(Z[n/2 - k])
      const er = zr + cr,
        ei = zi + ci; // 2 × the DFT of the even samples
      const or = zi - ci,
        oi = cr - zr; // 2 × the DFT of the odd samples
      const wr = twiddle[2 * k]!,
        wi = twiddle[2 * k + 1]!;
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

  /**
   * Bluestein: Z[k] = c[k] · Σ_n (z[n] c[n]) · conj(c[k - n]) with c[n] = e^{-iπn²/N}, a
   * convolution done circularly over m ≥ 2N - 1 points. Both the input (N non-zero values) and
   * the wanted output (N values) fit in m/2 ≤ N... so the m-point FFTs are split into their even
   * and odd halves (two m/2-point FFTs each way), which fft.js does faster than one m-point FFT.
   */
  private bluestein(): (source: Source, offset: number) => void {
    const points = this.half;
    let m = 4;
    while (m < 2 * points - 1) m *= 2;
    const h = m / 2;
    const fft = new FFT(h);
    const cis = (angle: number): [number, number] => [Math.cos(angle), Math.sin(angle)];
    // chirp[n] = e^{-iπ n²/N}; n² is reduced mod 2N so the angle stays exact.
    const chirp = (n: number) => cis((-Math.PI * ((n * n) % (2 * points))) / points);
    // Input factors for the even half (a[n]) and the odd half (a[n]·e^{-2πin/m}):
    // a[n] = x[2n]·w[2n]·chirp[n] + i·x[2n+1]·w[2n+1]·chirp[n], stored as four reals each.
    const preEven = new Float64Array(4 * points);
    const preOdd = new Float64Array(4 * points);
    // Output factors: chirp[n] for the even half, chirp[n]·e^{+2πin/m} for the odd half.
    const postEven = new Float64Array(2 * points);
    const postOdd = new Float64Array(2 * points);
    for (let n = 0; n < points; n++) {
      const w0 = this.window[2 * n]!,
        w1 = this.window[2 * n + 1]!;
      const [cr, ci] = chirp(n);
      const [tr, ti] = cis((-2 * Math.PI * n) / m);
      const or = cr * tr - ci * ti,
        oi = cr * ti + ci * tr;
      preEven.set([w0 * cr, -w1 * ci, w0 * ci, w1 * cr], 4 * n);
      preOdd.set([w0 * or, -w1 * oi, w0 * oi, w1 * or], 4 * n);
      postEven.set([cr, ci], 2 * n);
      postOdd.set([cr * tr + ci * ti, ci * tr - cr * ti], 2 * n); // chirp · conj(twiddle)
    }
    // Kernel: the m-point FFT of conj(chirp[|k|]) laid out circularly, split into even and odd
    // bins and scaled by 1/m (the inverse FFT's factor).
    const b = new Float64Array(2 * m);
    for (let n = 0; n < points; n++) {
      const [re, negIm] = chirp(n);
      for (const at of n === 0 ? [0] : [n, m - n]) {
        b[2 * at] = re;
        b[2 * at + 1] = -negIm;
      }
    }
    const kernel = new Float64Array(2 * m);
    new FFT(m).transform(kernel, b);
    const kernelEven = new Float64Array(2 * h);
    const kernelOdd = new Float64Array(2 * h);
    for (let k = 0; k < h; k++) {
      kernelEven.set([kernel[4 * k]! / m, kernel[4 * k + 1]! / m], 2 * k);
      kernelOdd.set([kernel[4 * k + 2]! / m, kernel[4 * k + 3]! / m], 2 * k);
    }
    const aEven = new Float64Array(2 * h); // entries past 2·points stay zero
    const aOdd = new Float64Array(2 * h);
    const specEven = new Float64Array(2 * h);
    const specOdd = new Float64Array(2 * h);
    const outEven = new Float64Array(2 * h);
    const outOdd = new Float64Array(2 * h);
    const { z } = this;
    // conj(A·K) in place: the forward FFT of a conjugate is the conjugate of the inverse FFT.
    const multiplyConj = (spec: Float64Array, kern: Float64Array) => {
      for (let k = 0; k < h; k++) {
        const sr = spec[2 * k]!,
          si = spec[2 * k + 1]!;
        const kr = kern[2 * k]!,
          ki = kern[2 * k + 1]!;
        spec[2 * k] = sr * kr - si * ki;
        spec[2 * k + 1] = -(sr * ki + si * kr);
      }
    };
    return (source, offset) => {
      for (let n = 0; n < points; n++) {
        const xr = source[offset + 2 * n]!,
          xi = source[offset + 2 * n + 1]!;
        aEven[2 * n] = xr * preEven[4 * n]! + xi * preEven[4 * n + 1]!;
        aEven[2 * n + 1] = xr * preEven[4 * n + 2]! + xi * preEven[4 * n + 3]!;
        aOdd[2 * n] = xr * preOdd[4 * n]! + xi * preOdd[4 * n + 1]!;
        aOdd[2 * n + 1] = xr * preOdd[4 * n + 2]! + xi * preOdd[4 * n + 3]!;
      }
      fft.transform(specEven, aEven);
      fft.transform(specOdd, aOdd);
      multiplyConj(specEven, kernelEven);
      multiplyConj(specOdd, kernelOdd);
      fft.transform(outEven, specEven);
      fft.transform(outOdd, specOdd);
      for (let k = 0; k < points; k++) {
        const er = outEven[2 * k]!,
          ei = -outEven[2 * k + 1]!; // undo the conjugate
        const or = outOdd[2 * k]!,
          oi = -outOdd[2 * k + 1]!;
        const pr = postEven[2 * k]!,
          pi = postEven[2 * k + 1]!;
        const qr = postOdd[2 * k]!,
          qi = postOdd[2 * k + 1]!;
        z[2 * k] = er * pr - ei * pi + or * qr - oi * qi;
        z[2 * k + 1] = er * pi + ei * pr + or * qi + oi * qr;
      }
    };
  }
}

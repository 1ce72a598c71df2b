/**
 * Band-limited sample-rate conversion: a Kaiser-windowed sinc low-pass applied as a polyphase
 * filter at the exact rational ratio to/from (reduced by their gcd).
 *
 * Design (see README.md for measured figures): the low-pass is centred half a transition band
 * below the lower of the two Nyquist frequencies, so its stop band starts at that Nyquist frequency
 * and nothing above it aliases back. The window spans `ZERO_CROSSINGS` sinc lobes on each side at
 * the lower rate; the Kaiser β gives ~90 dB of stop-band attenuation.
 * Hand-written rather than wavefile's `toSampleRate`, which re-quantises to the file's bit depth,
 * refuses A-law and µ-law files and states no stop-band figure; this one is measured (README).
 */
import { UnmaskError } from '@unmask/core';

/** Sinc lobes on each side of the centre, counted at the lower of the two rates. */
export const ZERO_CROSSINGS = 48;
/** Target stop-band attenuation in dB, which sets β and the transition width. */
export const STOPBAND_DB = 90;
const BETA = 0.1102 * (STOPBAND_DB - 8.7);
/** Transition width as a fraction of the lower rate (Kaiser's length estimate for 2·ZERO_CROSSINGS taps). */
export const TRANSITION = (STOPBAND_DB - 7.95) / (14.36 * 2 * ZERO_CROSSINGS);

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x < 50). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

interface Polyphase {
  readonly up: number; // L
  readonly down: number; // M
  readonly taps: number; // taps per phase
  readonly half: number; // taps to the left of the output instant (inclusive of n0)
  readonly coefficients: Float64Array; // [up][taps]
}

const cache = new Map<string, Polyphase>();
const CACHE_LIMIT = 8;

function design(fromRate: number, toRate: number): Polyphase {
  const key = `${fromRate}:${toRate}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  // Everything below in units of input samples.
  const ratio = Math.min(1, toRate / fromRate); // lower rate / input rate
  const cutoff = ratio * (0.5 - TRANSITION / 2); // cycles per input sample, -6 dB point
  const halfWidth = ZERO_CROSSINGS / ratio; // window half-length in input samples
  const half = Math.ceil(halfWidth);
  const taps = 2 * half;
  const coefficients = new Float64Array(up * taps);
  const i0Beta = besselI0(BETA);
  for (let phase = 0; phase < up; phase++) {
    const frac = phase / up;
    for (let i = 0; i < taps; i++) {
      const tau = frac + half - 1 - i; // output instant minus input sample position
      const r = tau / halfWidth;
      if (Math.abs(r) >= 1) continue;
      const x = 2 * cutoff * tau;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      coefficients[phase * taps + i] = 2 * cutoff * sinc * (besselI0(BETA * Math.sqrt(1 - r * r)) / i0Beta);
    }
  }
  const result = { up, down, taps, half, coefficients };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, result);
  return result;
}

function checkRate(rate: number, param: string): void {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new UnmaskError(
      'invalid_parameter',
      `resample: ${param} must be a positive integer number of Hz, got ${rate}`,
      param,
    );
  }
}

/**
 * Resamples `samples` from `fromRate` to `toRate` Hz. Returns ceil(n·to/from) samples; output
 * sample j sits at time j/toRate, aligned with input sample 0. The signal is taken as zero
 * outside the input. Identical rates return a copy.
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  checkRate(fromRate, 'fromRate');
  checkRate(toRate, 'toRate');
  if (fromRate === toRate) return samples.slice();
  const { up, down, taps, half, coefficients } = design(fromRate, toRate);
  const n = samples.length;
  const outLength = Math.ceil((n * up) / down);
  const out = new Float32Array(outLength);
  for (let j = 0; j < outLength; j++) {
    const position = j * down; // in units of 1/up input samples
    const n0 = Math.floor(position / up);
    const phase = position - n0 * up;
    const first = n0 - half + 1;
    const base = phase * taps;
    const lo = Math.max(0, -first);
    const hi = Math.min(taps, n - first);
    // Four partial sums let the multiply-adds overlap.
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      a3 = 0;
    let i = lo;
    for (; i + 3 < hi; i += 4) {
      a0 += coefficients[base + i]! * samples[first + i]!;
      a1 += coefficients[base + i + 1]! * samples[first + i + 1]!;
      a2 += coefficients[base + i + 2]! * samples[first + i + 2]!;
      a3 += coefficients[base + i + 3]! * samples[first + i + 3]!;
    }
    for (; i < hi; i++) a0 += coefficients[base + i]! * samples[first + i]!;
    out[j] = a0 + a1 + a2 + a3;
  }
  return out;
}

/**
 * Slaney-style mel filter bank, as Whisper's feature extractor builds it (librosa's default, and
 * transformers' `mel_filter_bank(norm="slaney", mel_scale="slaney")`):
 * - the Slaney mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above
 *   (27 mels per factor 6.4);
 * - n_mels triangles whose corners are n_mels + 2 points evenly spaced in mel between the minimum
 *   and maximum frequency, evaluated at the FFT bin frequencies (linear interpolation in Hz);
 * - Slaney area normalisation: each triangle is scaled by 2 / (its width in Hz).
 * Stored sparsely: each filter keeps only its run of non-zero weights.
 */
import { UnmaskError } from '@unmask/core';

const F_SP = 200 / 3; // Hz per mel in the linear part
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP; // 15
const LOG_STEP = Math.log(6.4) / 27;

export function hertzToMelSlaney(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

export function melToHertzSlaney(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : mel * F_SP;
}

export interface MelFilterBankOptions {
  readonly nMels: number;
  readonly nFft: number;
  readonly sampleRate: number;
  readonly minHz?: number;
  /** Defaults to sampleRate / 2. */
  readonly maxHz?: number;
}

export interface MelFilter {
  /** First FFT bin with a non-zero weight. */
  readonly start: number;
  /** Weights for bins start, start + 1, ... */
  readonly weights: Float64Array;
}

export class MelFilterBank {
  readonly nMels: number;
  /** FFT bins per frame: nFft / 2 + 1. */
  readonly bins: number;
  readonly filters: readonly MelFilter[];
  /** The same weights flattened for `apply`: filter m covers flat[offsets[m] .. offsets[m + 1]). */
  private readonly flat: Float64Array;
  private readonly offsets: Int32Array;
  private readonly starts: Int32Array;

  constructor(options: MelFilterBankOptions) {
    const { nMels, nFft, sampleRate, minHz = 0, maxHz = sampleRate / 2 } = options;
    if (!Number.isInteger(nMels) || nMels < 1) {
      throw new UnmaskError(
        'invalid_parameter',
        `mel filter bank: feature_size must be a positive integer, got ${nMels}`,
        'feature_size',
      );
    }
    if (!(minHz >= 0 && maxHz > minHz && maxHz <= sampleRate / 2)) {
      throw new UnmaskError(
        'invalid_parameter',
        `mel filter bank: need 0 ≤ minHz < maxHz ≤ sampleRate/2, got ${minHz}..${maxHz}`,
        'maxHz',
      );
    }
    this.nMels = nMels;
    this.bins = Math.floor(nFft / 2) + 1;
    const melMin = hertzToMelSlaney(minHz);
    const melMax = hertzToMelSlaney(maxHz);
    const corners = Array.from({ length: nMels + 2 }, (_, i) =>
      melToHertzSlaney(melMin + ((melMax - melMin) * i) / (nMels + 1)),
    );
    // FFT bin frequencies as an even spacing of [0, floor(sampleRate / 2)], like the reference.
    const nyquist = Math.floor(sampleRate / 2);
    const binHz = Array.from({ length: this.bins }, (_, k) => (nyquist * k) / (this.bins - 1));
    const filters: MelFilter[] = [];
    for (let m = 0; m < nMels; m++) {
      const left = corners[m]!,
        centre = corners[m + 1]!,
        right = corners[m + 2]!;
      const norm = 2 / (right - left);
      const dense = binHz.map((f) => {
        const rising = (f - left) / (centre - left);
        const falling = (right - f) / (right - centre);
        return Math.max(0, Math.min(rising, falling)) * norm;
      });
      let start = dense.findIndex((w) => w > 0);
      let end = dense.length;
      while (end > 0 && !(dense[end - 1]! > 0)) end--;
      if (start < 0) start = end = 0; // an empty filter (too many mels for this FFT size)
      filters.push({ start, weights: Float64Array.from(dense.slice(start, end)) });
    }
    this.filters = filters;
    this.offsets = new Int32Array(nMels + 1);
    this.starts = Int32Array.from(filters, (f) => f.start);
    filters.forEach((f, m) => (this.offsets[m + 1] = this.offsets[m]! + f.weights.length));
    this.flat = new Float64Array(this.offsets[nMels]!);
    filters.forEach((f, m) => this.flat.set(f.weights, this.offsets[m]!));
  }

  /** out[m] = Σ_k filter_m[k] · power[k]. */
  apply(power: Float64Array, out: Float64Array): void {
    const { flat, offsets, starts } = this;
    for (let m = 0; m < starts.length; m++) {
      const end = offsets[m + 1]!;
      let k = starts[m]!;
      let acc = 0;
      for (let i = offsets[m]!; i < end; i++, k++) acc += flat[i]! * power[k]!;
      out[m] = acc;
    }
  }

  /** The dense [bins, nMels] matrix (as in transformers' `mel_filters`), for tests and export. */
  dense(): Float64Array {
    const out = new Float64Array(this.bins * this.nMels);
    this.filters.forEach(({ start, weights }, m) => {
      weights.forEach((w, i) => {
        out[(start + i) * this.nMels + m] = w;
      });
    });
    return out;
  }
}

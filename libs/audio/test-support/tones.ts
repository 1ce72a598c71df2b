/**
 * Sine helpers for resampler tests and measurements: generate a tone, and fit a sinusoid of a
 * known frequency to a signal by least squares (amplitude and phase), reporting the residual.
 */
export function tone(rate: number, frequency: number, seconds: number, amplitude = 1): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / rate);
  return out;
}

export interface ToneFit {
  /** Amplitude of the fitted sinusoid. */
  readonly amplitude: number;
  /** RMS of what the fitted sinusoid does not explain. */
  readonly residualRms: number;
  /** RMS of the analysed span. */
  readonly rms: number;
}

/** Fits a·sin + b·cos at `frequency` over samples [from, to) of `signal`. */
export function fitTone(signal: Float32Array, rate: number, frequency: number, from: number, to: number): ToneFit {
  let ss = 0,
    cc = 0,
    sc = 0,
    ys = 0,
    yc = 0,
    yy = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * frequency * i) / rate;
    const s = Math.sin(w),
      c = Math.cos(w),
      y = signal[i]!;
    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += y * s;
    yc += y * c;
    yy += y * y;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  const n = to - from;
  const explained = a * ys + b * yc;
  return {
    amplitude: Math.hypot(a, b),
    residualRms: Math.sqrt(Math.max(0, yy - explained) / n),
    rms: Math.sqrt(yy / n),
  };
}

export const dB = (ratio: number): number => 20 * Math.log10(ratio);

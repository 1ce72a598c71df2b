/**
 * Whisper's log-mel `input_features`, step for step as WhisperFeatureExtractor computes them:
 * 1. padding to chunk_length seconds (or truncation), unless padding is 'longest';
 * 2. centred frames: n_fft/2 samples of reflect padding at both ends, a frame every hop_length;
 * 3. a periodic Hann window, |DFT|² over n_fft/2 + 1 bins;
 * 4. Slaney mel filters over 0–8 kHz, Slaney-normalised;
 * 5. log10 of max(mel, 1e-10); the last frame is dropped (the reference does the same);
 * 6. values clamped to at least (global max − 8), then (x + 4) / 4.
 * The result is [feature_size, frames] in row-major order (one row per mel bin), with the number
 * of frames that hold audio (`feature_frames`).
 */
import { UnmaskError } from '@unmask/core';
import {
  whisperFeatureExtractorConfigSchema,
  type WhisperFeatureExtractorConfig,
  type WhisperFeatureExtractorConfigInput,
} from './feature-extractor-config.js';
import { MelFilterBank } from './mel-filters.js';
import { PowerSpectrum } from './power-spectrum.js';

const MEL_FLOOR = 1e-10;
const MAX_HZ = 8000;
/** The dynamic range kept, in log10 units (80 dB). */
const DYNAMIC_RANGE = 8;

export interface LogMelFeatures {
  /** [feature_size, frames], row-major. */
  readonly input_features: Float32Array;
  readonly dims: readonly [number, number];
  /**
   * Frames that hold audio rather than padding: ceil(samples / hop_length), at most `frames`
   * (the sum of WhisperFeatureExtractor's frame-level attention mask). Adapters that cut the
   * encoder output to the real audio (DIFFA's semantic adapter) take it as `feature_frames`.
   */
  readonly feature_frames?: number;
}

export interface ExtractOptions {
  /** Overrides the config's padding for this call. */
  readonly padding?: 'max_length' | 'longest';
}

/** Periodic Hann window: w[i] = 0.5 − 0.5·cos(2πi/n). */
export function hannWindow(size: number): Float64Array {
  const w = new Float64Array(size);
  for (let i = 0; i < size; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
  return w;
}

export class WhisperFeatureExtractor {
  readonly config: WhisperFeatureExtractorConfig;
  readonly melFilters: MelFilterBank;
  private readonly spectrum: PowerSpectrum;
  private readonly frame: Float64Array;
  private readonly power: Float64Array;
  private readonly mel: Float64Array;

  constructor(config: WhisperFeatureExtractorConfigInput = {}) {
    const parsed = whisperFeatureExtractorConfigSchema.safeParse(config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') ?? '';
      throw new UnmaskError(
        'invalid_bundle',
        `feature extractor config: ${field}: ${issue?.message ?? 'invalid'}`,
        field,
      );
    }
    this.config = parsed.data;
    const { n_fft, feature_size, sampling_rate } = this.config;
    this.spectrum = new PowerSpectrum(n_fft, hannWindow(n_fft));
    this.melFilters = new MelFilterBank({
      nMels: feature_size,
      nFft: n_fft,
      sampleRate: sampling_rate,
      minHz: 0,
      maxHz: Math.min(MAX_HZ, sampling_rate / 2),
    });
    this.frame = new Float64Array(n_fft);
    this.power = new Float64Array(this.spectrum.bins);
    this.mel = new Float64Array(feature_size);
  }

  /** Frames produced for `length` samples (after padding). */
  framesFor(length: number): number {
    return Math.floor(length / this.config.hop_length);
  }

  /** Samples at `config.sampling_rate` -> input_features. */
  extract(samples: Float32Array, options: ExtractOptions = {}): LogMelFeatures {
    const { n_fft, hop_length, feature_size, chunk_length, sampling_rate } = this.config;
    const padding = options.padding ?? this.config.padding;
    // The padded signal is virtual: `len` samples at offset `start` of `n`, the rest pad_value.
    const chunk = chunk_length * sampling_rate;
    const signal = padding === 'max_length' && samples.length > chunk ? samples.subarray(0, chunk) : samples; // the reference truncates
    const len = signal.length;
    const n = padding === 'max_length' ? chunk : len;
    const start = this.config.padding_side === 'left' ? n - len : 0;
    const padValue = this.config.padding_value;
    const halfWindow = n_fft / 2;
    if (n <= halfWindow) {
      throw new UnmaskError(
        'invalid_media',
        `audio too short for features: ${n} samples, reflect padding with n_fft ${n_fft} needs at least ${halfWindow + 1}`,
        'audio',
      );
    }
    const frames = this.framesFor(n);
    const features = new Float32Array(feature_size * frames);
    const { frame, power, mel, spectrum, melFilters } = this;
    const floorLog = Math.log10(MEL_FLOOR);
    // Frames that only read samples outside [firstNonZero, lastNonZero] are all zero.
    let firstNonZero = 0;
    let lastNonZero = n - 1;
    if (padValue === 0) {
      while (firstNonZero < len && signal[firstNonZero] === 0) firstNonZero++;
      lastNonZero = len - 1;
      while (lastNonZero >= firstNonZero && signal[lastNonZero] === 0) lastNonZero--;
      firstNonZero += start;
      lastNonZero += start;
    }
    let max = -Infinity;
    for (let t = 0; t < frames; t++) {
      const first = t * hop_length - halfWindow;
      const last = first + n_fft - 1;
      // Lowest and highest sample index the frame reads once reflected at both ends.
      const low = first < 0 ? 0 : last >= n ? Math.min(first, 2 * (n - 1) - last) : first;
      const high = last >= n ? n - 1 : first < 0 ? Math.max(last, -first) : last;
      if (high < firstNonZero || low > lastNonZero) {
        for (let m = 0; m < feature_size; m++) features[m * frames + t] = floorLog;
        if (floorLog > max) max = floorLog;
        continue;
      }
      if (first >= start && last < start + len) {
        spectrum.compute(signal, first - start, power);
      } else {
        for (let i = 0; i < n_fft; i++) {
          let s = first + i;
          s = s < 0 ? -s : s >= n ? 2 * (n - 1) - s : s; // reflect
          frame[i] = s >= start && s < start + len ? signal[s - start]! : padValue;
        }
        spectrum.compute(frame, 0, power);
      }
      melFilters.apply(power, mel);
      for (let m = 0; m < feature_size; m++) {
        const value = Math.log(Math.max(mel[m]!, MEL_FLOOR)) * Math.LOG10E;
        features[m * frames + t] = value;
        if (value > max) max = value;
      }
    }
    const lowest = max - DYNAMIC_RANGE;
    for (let i = 0; i < features.length; i++) {
      const v = features[i]!;
      features[i] = (Math.max(v, lowest) + 4) / 4;
    }
    const featureFrames = Math.min(frames, Math.ceil(len / hop_length));
    return { input_features: features, dims: [feature_size, frames], feature_frames: featureFrames };
  }
}

const extractors = new Map<string, WhisperFeatureExtractor>();

/** One-shot form of `new WhisperFeatureExtractor(config).extract(samples)`; extractors are cached per config. */
export function logMelSpectrogram(
  samples: Float32Array,
  config: WhisperFeatureExtractorConfigInput = {},
): LogMelFeatures {
  const key = JSON.stringify(config);
  let extractor = extractors.get(key);
  if (!extractor) {
    if (extractors.size >= 8) extractors.delete(extractors.keys().next().value!);
    extractor = new WhisperFeatureExtractor(config);
    extractors.set(key, extractor);
  }
  return extractor.extract(samples);
}

/**
 * The whole preprocessing path for one WAV file: validate and decode it, average to mono,
 * resample to the extractor's rate, compute the log-mel `input_features`.
 */
import type { LogMelFeatures, ExtractOptions, WhisperFeatureExtractor } from './log-mel.js';
import { resample } from './resample.js';
import { readWav, type CheckedWav, type ReadWavOptions } from './wav/read-wav.js';

export interface WavFeatures extends LogMelFeatures {
  /** Seconds of audio in the file (before any padding or truncation). */
  readonly durationSeconds: number;
  /** The file's own sample rate. */
  readonly sourceSampleRate: number;
}

export function wavToInputFeatures(
  wav: Uint8Array | CheckedWav,
  extractor: WhisperFeatureExtractor,
  options: ReadWavOptions & ExtractOptions = {},
): WavFeatures {
  const audio = readWav(wav, options);
  const rate = extractor.config.sampling_rate;
  const samples = audio.sampleRate === rate ? audio.samples : resample(audio.samples, audio.sampleRate, rate);
  const features = extractor.extract(samples, options.padding ? { padding: options.padding } : {});
  return { ...features, durationSeconds: audio.durationSeconds, sourceSampleRate: audio.sampleRate };
}

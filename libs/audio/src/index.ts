export {
  readWav,
  readWavHeader,
  wavLimitsSchema,
  type CheckedWav,
  type DecodedAudio,
  type ReadWavOptions,
  type WavLimits,
  type WavLimitsInput,
} from './wav/read-wav.js';
export {
  parseWavHeader,
  MIN_SAMPLE_RATE,
  MAX_SAMPLE_RATE,
  MAX_CHANNELS,
  type WavEncoding,
  type WavHeader,
} from './wav/riff-header.js';
export { resample } from './resample.js';
export { PowerSpectrum } from './power-spectrum.js';
export {
  MelFilterBank,
  hertzToMelSlaney,
  melToHertzSlaney,
  type MelFilter,
  type MelFilterBankOptions,
} from './mel-filters.js';
export {
  whisperFeatureExtractorConfigSchema,
  type WhisperFeatureExtractorConfig,
  type WhisperFeatureExtractorConfigInput,
} from './feature-extractor-config.js';
export {
  WhisperFeatureExtractor,
  logMelSpectrogram,
  hannWindow,
  type LogMelFeatures,
  type ExtractOptions,
} from './log-mel.js';
export { wavToInputFeatures, type WavFeatures } from './input-features.js';
export { AudioEncoder, FEATURE_INPUTS, type AudioEncoderOptions, type AudioEmbeddings } from './audio-encoder.js';

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { WhisperFeatureExtractor, hannWindow, logMelSpectrogram } from './log-mel.js';
import { whisperFeatureExtractorConfigSchema } from './feature-extractor-config.js';
import { readWav } from './wav/read-wav.js';
import { readFixture, readJsonFixture, readReferenceTensors } from '../test-support/fixtures.js';

const TOLERANCE = 1e-4;
const audio = readWav(readFixture('whisper/input.wav')).samples; // 27200 samples at 16 kHz
const reference = readReferenceTensors('whisper/reference-features.safetensors.gz');
const config = (bins: number) =>
  readJsonFixture(`whisper/feature_extractor_${bins}/preprocessor_config.json`) as Record<string, unknown>;

/** Max |ours - reference| over frames [0, frames) of [mels, referenceFrames] tensors. */
function maxAbsDifference(
  ours: Float32Array,
  oursFrames: number,
  ref: Float32Array,
  refFrames: number,
  mels: number,
  frames: number,
): number {
  let worst = 0;
  for (let m = 0; m < mels; m++) {
    for (let t = 0; t < frames; t++) {
      worst = Math.max(worst, Math.abs(ours[m * oursFrames + t]! - ref[m * refFrames + t]!));
    }
  }
  return worst;
}

describe('Whisper log-mel input_features', () => {
  for (const bins of [80, 128]) {
    it(`match transformers' input_features_${bins} for input.wav within ${TOLERANCE} (30 s padding, 3000 frames)`, () => {
      const ref = reference.get(`input_features_${bins}`)!;
      assert.deepEqual(ref.shape, [bins, 3000]);
      const { input_features, dims } = new WhisperFeatureExtractor(config(bins)).extract(audio);
      assert.deepEqual(dims, [bins, 3000]);
      const worst = maxAbsDifference(input_features, 3000, ref.data, 3000, bins, 3000);
      assert.ok(worst <= TOLERANCE, `max abs difference ${worst}`);
    });

    it(`without padding, give floor(n / hop) frames that match the reference until the audio's end (${bins} bins)`, () => {
      const ref = reference.get(`input_features_${bins}`)!;
      const { input_features, dims } = new WhisperFeatureExtractor({ ...config(bins), padding: 'longest' }).extract(
        audio,
      );
      assert.deepEqual(dims, [bins, 170]);
      // Frame 169 reads past sample 27200, where the reference sees zeros and we see the reflection.
      const worst = maxAbsDifference(input_features, 170, ref.data, 3000, bins, 169);
      assert.ok(worst <= TOLERANCE, `max abs difference ${worst}`);
    });
  }

  it('puts a 1 kHz tone in the mel bin whose filter weighs FFT bin 25 (1000 Hz / 40 Hz) most, 6 dB lower at half amplitude', () => {
    const extractor = new WhisperFeatureExtractor({ padding: 'longest' });
    const weights = extractor.melFilters.filters.map(({ start, weights }) =>
      25 >= start && 25 < start + weights.length ? weights[25 - start]! : 0,
    );
    const expectedBin = weights.indexOf(Math.max(...weights));
    const peak = (amplitude: number) => {
      const tone = Float32Array.from(
        { length: 16000 },
        (_, i) => amplitude * Math.sin((2 * Math.PI * 1000 * i) / 16000),
      );
      const { input_features, dims } = extractor.extract(tone);
      const frames = dims[1];
      const t = 50; // a frame in the middle
      let best = 0;
      for (let m = 1; m < 80; m++) if (input_features[m * frames + t]! > input_features[best * frames + t]!) best = m;
      return { bin: best, value: input_features[best * frames + t]! };
    };
    const full = peak(1);
    const half = peak(0.5);
    assert.equal(full.bin, expectedBin);
    assert.equal(half.bin, expectedBin);
    // Power scales with amplitude², so log10 drops by log10(4), features by log10(4) / 4.
    assert.ok(Math.abs(full.value - half.value - Math.log10(4) / 4) < 1e-6);
  });

  it('turns silence into the floor: every value (log10(1e-10) + 4) / 4 = -1.5', () => {
    const { input_features } = logMelSpectrogram(new Float32Array(16000));
    assert.ok(input_features.every((v) => v === -1.5));
  });

  it('keeps 8 log10 units (80 dB) below the loudest value: the features span exactly 8 / 4', () => {
    const { input_features } = logMelSpectrogram(audio, config(80));
    const max = input_features.reduce((a, b) => Math.max(a, b), -Infinity);
    const min = input_features.reduce((a, b) => Math.min(a, b), Infinity);
    assert.ok(Math.abs(max - min - 2) < 1e-6, `range ${max - min}, expected 8 / 4`);
  });

  it('report the frames that hold audio as feature_frames: ceil(samples / hop_length), capped at the frames produced', () => {
    // 27200 samples: 170 frames of audio, whether padded to 3000 frames or not.
    assert.equal(new WhisperFeatureExtractor({}).extract(audio).feature_frames, 170);
    assert.equal(new WhisperFeatureExtractor({ padding: 'longest' }).extract(audio).feature_frames, 170);
    // A partial hop still counts as a frame of audio: 16001 samples → 101 frames of 3000.
    const odd = new WhisperFeatureExtractor({}).extract(new Float32Array(16001).fill(0.1));
    assert.deepEqual([odd.dims[1], odd.feature_frames], [3000, 101]);
    // Without padding the last partial hop has no frame of its own: 16001 samples → 100 frames, all audio.
    const unpadded = new WhisperFeatureExtractor({ padding: 'longest' }).extract(new Float32Array(16001).fill(0.1));
    assert.deepEqual([unpadded.dims[1], unpadded.feature_frames], [100, 100]);
    // Truncated to 30 s: every frame holds audio.
    assert.equal(logMelSpectrogram(new Float32Array(31 * 16000).fill(0.1)).feature_frames, 3000);
  });

  it('truncates audio longer than chunk_length, like the reference', () => {
    const long = new Float32Array(31 * 16000).map((_, i) => Math.sin(i * 0.05) * (i < 480000 ? 1 : 0.5));
    const truncated = logMelSpectrogram(long);
    const exact = logMelSpectrogram(long.slice(0, 480000));
    assert.deepEqual(truncated.dims, [80, 3000]);
    assert.deepEqual(truncated.input_features, exact.input_features);
  });

  it('pads on the left when padding_side is "left": the audio ends up in the last frames', () => {
    const right = new WhisperFeatureExtractor({}).extract(audio).input_features;
    const left = new WhisperFeatureExtractor({ padding_side: 'left' }).extract(audio).input_features;
    // Frame t of right padding sees the same samples as frame t + (480000 - 27200) / 160 of left padding.
    const shift = (480000 - 27200) / 160;
    for (let m = 0; m < 80; m += 7) {
      for (let t = 2; t < 165; t += 5) assert.ok(Math.abs(right[m * 3000 + t]! - left[m * 3000 + t + shift]!) < 1e-6);
    }
  });

  it('refuses audio shorter than the reflect padding when not padding', () => {
    assert.throws(
      () => logMelSpectrogram(new Float32Array(200), { padding: 'longest' }),
      (e) =>
        isUnmaskError(e, 'invalid_media') &&
        /200 samples, reflect padding with n_fft 400 needs at least 201/.test(e.message),
    );
  });

  it('uses a periodic Hann window', () => {
    const w = hannWindow(400);
    assert.equal(w[0], 0);
    assert.ok(Math.abs(w[200]! - 1) < 1e-15 && Math.abs(w[100]! - 0.5) < 1e-15);
    for (let i = 1; i < 400; i++) assert.ok(Math.abs(w[i]! - w[400 - i]!) < 1e-15);
  });
});

describe('WhisperFeatureExtractor config (preprocessor_config.json)', () => {
  it("parses Hugging Face's files as they are and fills Whisper's defaults", () => {
    const parsed = whisperFeatureExtractorConfigSchema.parse(config(128));
    assert.equal(parsed.feature_size, 128);
    assert.equal(parsed.nb_max_frames, 3000);
    const defaults = whisperFeatureExtractorConfigSchema.parse({});
    assert.deepEqual(
      [
        defaults.feature_size,
        defaults.sampling_rate,
        defaults.hop_length,
        defaults.n_fft,
        defaults.chunk_length,
        defaults.padding,
      ],
      [80, 16000, 160, 400, 30, 'max_length'],
    );
  });

  it('refuses inconsistent or unsupported settings, naming the field', () => {
    assert.throws(
      () => new WhisperFeatureExtractor({ ...config(80), n_samples: 123 }),
      (e) =>
        isUnmaskError(e, 'invalid_bundle') &&
        /^feature extractor config: n_samples: n_samples 123/.test(e.message) &&
        e.param === 'n_samples',
    );
    assert.throws(
      () => new WhisperFeatureExtractor({ dither: 1e-5 } as never),
      (e) => isUnmaskError(e, 'invalid_bundle') && e.param === 'dither',
    );
    assert.throws(
      () => new WhisperFeatureExtractor({ n_fft: 401 }),
      (e) => isUnmaskError(e, 'invalid_bundle') && e.param === 'n_fft',
    );
  });
});

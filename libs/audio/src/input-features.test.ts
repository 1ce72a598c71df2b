import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { WhisperFeatureExtractor } from './log-mel.js';
import { wavToInputFeatures } from './input-features.js';
import { resample } from './resample.js';
import { readWav } from './wav/read-wav.js';
import { buildWav, encodeSamples } from '../test-support/make-wav.js';
import { readFixture, readReferenceTensors } from '../test-support/fixtures.js';

const reference = readReferenceTensors('whisper/reference-features.safetensors.gz').get('input_features_80')!;
const extractor = new WhisperFeatureExtractor();

describe('wavToInputFeatures: WAV bytes -> mono -> 16 kHz -> input_features', () => {
  it('gives the reference features for the 16 kHz fixture', () => {
    const result = wavToInputFeatures(readFixture('whisper/input.wav'), extractor);
    assert.deepEqual(result.dims, [80, 3000]);
    assert.equal(result.sourceSampleRate, 16000);
    assert.equal(result.durationSeconds, 1.7);
    let worst = 0;
    result.input_features.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - reference.data[i]!));
    });
    assert.ok(worst <= 1e-4, `max abs difference ${worst}`);
  });

  it('resamples a 48 kHz stereo copy of the fixture: mel bins 0–76 (up to 7.1 kHz) stay within 1e-3 of the reference', () => {
    const mono = readWav(readFixture('whisper/input.wav')).samples;
    const at48k = Array.from(resample(mono, 16000, 48000));
    const wav = buildWav({
      formatTag: 3,
      channels: 2,
      sampleRate: 48000,
      bitsPerSample: 32,
      data: encodeSamples([at48k, at48k], 'float', 32),
    });
    const result = wavToInputFeatures(wav, extractor);
    assert.equal(result.sourceSampleRate, 48000);
    // Bins 0..76 reach up to 7.13 kHz; the top three lie mostly in the resampler's 7.05-8 kHz transition band (README).
    let worst = 0;
    for (let m = 0; m < 77; m++) {
      for (let t = 0; t < 169; t++)
        worst = Math.max(worst, Math.abs(result.input_features[m * 3000 + t]! - reference.data[m * 3000 + t]!));
    }
    assert.ok(worst <= 1e-3, `max abs difference ${worst}`);
  });

  it('passes limits and padding through', () => {
    const wav = readFixture('whisper/input.wav');
    assert.throws(
      () => wavToInputFeatures(wav, extractor, { maxSeconds: 1, name: 'x.wav' }),
      (e) => isUnmaskError(e, 'too_large') && /^x\.wav: /.test(e.message),
    );
    assert.deepEqual(wavToInputFeatures(wav, extractor, { padding: 'longest' }).dims, [80, 170]);
  });
});

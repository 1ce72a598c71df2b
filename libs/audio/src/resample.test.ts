import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { resample } from './resample.js';
import { dB, fitTone, tone } from '../test-support/tones.js';

/** Largest |out[j] - sin(2πf·j/rate)| away from the edges (where the input is cut off). */
function worstDeviationFromSine(out: Float32Array, rate: number, frequency: number, margin: number): number {
  let worst = 0;
  for (let j = margin; j < out.length - margin; j++) {
    worst = Math.max(worst, Math.abs(out[j]! - Math.sin((2 * Math.PI * frequency * j) / rate)));
  }
  return worst;
}

describe('resample: Kaiser-windowed sinc, polyphase', () => {
  it('keeps a 1 kHz tone at the same frequency, amplitude and phase from 44.1 kHz to 16 kHz', () => {
    const out = resample(tone(44100, 1000, 1), 44100, 16000);
    assert.equal(out.length, 16000);
    const fit = fitTone(out, 16000, 1000, 1000, 15000);
    assert.ok(Math.abs(dB(fit.amplitude)) < 0.001, `gain ${dB(fit.amplitude)} dB`);
    assert.ok(dB(fit.residualRms / Math.SQRT1_2) < -90, `residual ${dB(fit.residualRms / Math.SQRT1_2)} dB`);
    assert.ok(worstDeviationFromSine(out, 16000, 1000, 1000) < 1e-4, 'no delay and no frequency shift');
  });

  it('keeps tones across the passband (up to 7 kHz) within 0.001 dB, for 48 kHz and 22.05 kHz input', () => {
    for (const from of [48000, 22050]) {
      for (const f of [100, 2500, 5000, 7000]) {
        const out = resample(tone(from, f, 0.5), from, 16000);
        const fit = fitTone(out, 16000, f, 1000, out.length - 1000);
        assert.ok(Math.abs(dB(fit.amplitude)) < 0.001, `${from} Hz, ${f} Hz tone: gain ${dB(fit.amplitude)} dB`);
      }
    }
  });

  it('attenuates tones above the 8 kHz output Nyquist frequency by at least 85 dB instead of aliasing them', () => {
    for (const [from, f] of [
      [48000, 8000],
      [48000, 8500],
      [48000, 12000],
      [44100, 9000],
      [96000, 30000],
    ] as const) {
      const out = resample(tone(from, f, 0.5), from, 16000);
      const level = dB(fitTone(out, 16000, 1000, 1000, out.length - 1000).rms / Math.SQRT1_2);
      assert.ok(level < -85, `${f} Hz at ${from} Hz came out at ${level.toFixed(1)} dB`);
    }
  });

  it('upsamples 8 kHz to 16 kHz without images: a 1 kHz tone stays clean', () => {
    const out = resample(tone(8000, 1000, 1), 8000, 16000);
    assert.equal(out.length, 16000);
    const fit = fitTone(out, 16000, 1000, 1000, 15000);
    assert.ok(Math.abs(dB(fit.amplitude)) < 0.001);
    assert.ok(dB(fit.residualRms / Math.SQRT1_2) < -90, `images at ${dB(fit.residualRms / Math.SQRT1_2)} dB`);
    assert.ok(worstDeviationFromSine(out, 16000, 1000, 1000) < 1e-4);
  });

  it('handles ratios that do not reduce much (11025 -> 16000 is 640/441) and keeps DC', () => {
    const out = resample(new Float32Array(11025).fill(0.5), 11025, 16000);
    assert.equal(out.length, 16000);
    for (let j = 1000; j < 15000; j += 7) assert.ok(Math.abs(out[j]! - 0.5) < 1e-4, `sample ${j}: ${out[j]}`);
  });

  it('returns ceil(n·to/from) samples and a copy when the rates are equal', () => {
    assert.equal(resample(new Float32Array(10), 48000, 16000).length, 4);
    const input = new Float32Array([0.1, 0.2]);
    const same = resample(input, 16000, 16000);
    assert.deepEqual(same, input);
    assert.notEqual(same, input);
  });

  it('rejects rates that are not positive integers', () => {
    assert.throws(
      () => resample(new Float32Array(4), 0, 16000),
      (e) => isUnmaskError(e, 'invalid_parameter') && /fromRate/.test(e.message),
    );
    assert.throws(
      () => resample(new Float32Array(4), 16000, 22050.5),
      (e) => isUnmaskError(e, 'invalid_parameter') && /toRate/.test(e.message),
    );
  });
});

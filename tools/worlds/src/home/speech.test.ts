import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { renderSpeech, resampleNearest, sampleSpeechVariant, type SpeechVariant } from './speech.js';

function wavInfo(buf: Buffer) {
  assert.equal(buf.toString('ascii', 0, 4), 'RIFF');
  assert.equal(buf.toString('ascii', 8, 12), 'WAVE');
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      let format = buf.readUInt16LE(off + 8);
      if (format === 0xfffe) format = buf.readUInt16LE(off + 8 + 24);
      fmt = {
        format,
        channels: buf.readUInt16LE(off + 10),
        rate: buf.readUInt32LE(off + 12),
        bits: buf.readUInt16LE(off + 22),
      };
    }
    if (id === 'data') {
      assert.ok(fmt, 'fmt chunk before data');
      return { ...fmt, seconds: size / (fmt.rate * fmt.channels * (fmt.bits / 8)) };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** The magnitude of a real signal's discrete Fourier transform at `hz`. */
function magnitudeAt(samples: Float32Array, sampleRate: number, hz: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = (2 * Math.PI * hz * i) / sampleRate;
    re += (samples[i] as number) * Math.cos(a);
    im -= (samples[i] as number) * Math.sin(a);
  }
  return Math.hypot(re, im) / samples.length;
}

describe('nearest-sample resampling (a degradation to measure)', () => {
  it('folds a tone above the new Nyquist frequency back into the band: 7 kHz at 22,050 Hz lands at 1 kHz at 8 kHz', () => {
    const samples = new Float32Array(22050).map((_, i) => Math.sin((2 * Math.PI * 7000 * i) / 22050));
    const out = resampleNearest({ samples, sampleRate: 22050 }, 8000);
    assert.equal(out.sampleRate, 8000);
    assert.equal(out.samples.length, 8000);
    assert.ok(magnitudeAt(out.samples, 8000, 1000) > 0.3, 'the alias at 8000 - 7000 Hz');
    assert.ok(magnitudeAt(out.samples, 8000, 3000) < 0.05);
  });

  it('keeps the first sample and takes the sample at or before each output time', () => {
    const samples = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual([...resampleNearest({ samples, sampleRate: 9 }, 4).samples], [0, 2, 4, 6]);
  });
});

describe('speech rendering', () => {
  it('speaks an utterance with espeak-ng into a WAV of the requested format, with silence and noise', () => {
    const variant: SpeechVariant = {
      voice: { voice: 'en-gb+f2', rate: 160, pitch: 50 },
      silenceBefore: 0.25,
      silenceAfter: 0.5,
      noise: { kind: 'pink', snrDb: 20 },
      format: { sampleRate: 16000, bits: 24, encoding: 'pcm', channels: 2 },
    };
    const info = wavInfo(renderSpeech('turn on the lights in the kitchen', variant, new Rng(1)));
    assert.equal(info.rate, 16000);
    assert.equal(info.channels, 2);
    assert.equal(info.bits, 24);
    assert.equal(info.format, 1);
    assert.ok(info.seconds > 1.2 && info.seconds < 10, `duration ${info.seconds}`);
  });

  it('with `resampling: nearest`, writes the same speech at the same rate (within a sample of its length), its samples aliased', () => {
    const variant: SpeechVariant = {
      voice: { voice: 'en-us', rate: 160, pitch: 50 },
      silenceBefore: 0.1,
      silenceAfter: 0.1,
      noise: null,
      format: { sampleRate: 16000, bits: 16, encoding: 'pcm', channels: 1 },
    };
    const clean = renderSpeech('turn on the lights in the kitchen', variant, new Rng(3));
    const aliased = renderSpeech(
      'turn on the lights in the kitchen',
      { ...variant, resampling: 'nearest' },
      new Rng(3),
    );
    const { seconds, ...format } = wavInfo(aliased);
    const { seconds: cleanSeconds, ...cleanFormat } = wavInfo(clean);
    assert.deepEqual(format, cleanFormat);
    assert.ok(Math.abs(seconds - cleanSeconds) < 1.5 / 16000, `${seconds} s against ${cleanSeconds} s`);
    assert.ok(!aliased.equals(clean));
    assert.ok(
      renderSpeech('turn on the lights in the kitchen', { ...variant, resampling: 'band-limited' }, new Rng(3)).equals(
        clean,
      ),
    );
  });

  it('writes 32-bit float WAV when asked', () => {
    const variant: SpeechVariant = {
      voice: { voice: 'en-us', rate: 190, pitch: 30 },
      silenceBefore: 0,
      silenceAfter: 0,
      noise: null,
      format: { sampleRate: 8000, bits: 32, encoding: 'float', channels: 1 },
    };
    const info = wavInfo(renderSpeech('fetch the newspaper', variant, new Rng(2)));
    assert.equal(info.format, 3);
    assert.equal(info.rate, 8000);
  });

  it('samples voices, rates, pitches, noise and formats inside the spec', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 300; i++) {
      const v = sampleSpeechVariant(rng);
      assert.match(v.voice.voice, /^(en|en-us|en-gb|en-gb-scotland|en-gb-x-rp|en-029)(\+[mf]\d)?$/);
      assert.ok(v.voice.rate >= 130 && v.voice.rate <= 190);
      assert.ok(v.voice.pitch >= 30 && v.voice.pitch <= 70);
      assert.ok(v.silenceBefore <= 0.5 && v.silenceAfter <= 0.5);
      if (v.noise) assert.ok(v.noise.snrDb >= 15);
      assert.ok(v.format.sampleRate >= 8000 && v.format.sampleRate <= 48000);
    }
  });
});

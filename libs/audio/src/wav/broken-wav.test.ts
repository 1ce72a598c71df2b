import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { readWav } from './read-wav.js';
import { buildWav, encodeSamples, type WavSpec } from '../../test-support/make-wav.js';

const pcm = encodeSamples([[0, 1000, -1000, 2000, -2000, 0]], 'int', 16);
const good: WavSpec = { channels: 1, sampleRate: 16000, bitsPerSample: 16, data: pcm };
const wav = (overrides: Partial<WavSpec>) => buildWav({ ...good, ...overrides });

/** Asserts `bytes` is refused as invalid_media with exactly this explanation after "name: not a usable WAV file: ". */
function refused(bytes: Uint8Array, why: string | RegExp): void {
  assert.throws(
    () => readWav(bytes, { name: 'clip.wav' }),
    (e) => {
      assert.ok(isUnmaskError(e, 'invalid_media'), `expected invalid_media, got ${String(e)}`);
      const prefix = 'clip.wav: not a usable WAV file: ';
      assert.ok(e.message.startsWith(prefix), e.message);
      const rest = e.message.slice(prefix.length);
      if (typeof why === 'string') assert.equal(rest, why);
      else assert.match(rest, why);
      assert.equal(e.param, 'clip.wav');
      return true;
    },
  );
}

describe('a corpus of broken WAV files: each is refused with its own message', () => {
  it('an empty file', () => refused(new Uint8Array(0), 'the file is empty'));

  it('a file shorter than the RIFF header', () =>
    refused(wav({}).subarray(0, 9), 'only 9 bytes, shorter than a RIFF header'));

  it('a file that is not RIFF at all (a PNG signature, plain text)', () => {
    refused(
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]),
      'starts with 0x89504e47 instead of "RIFF"',
    );
    refused(new TextEncoder().encode('hello, this is not audio'), 'starts with "hell" instead of "RIFF"');
  });

  it('a RIFF file of another form (AVI)', () => refused(wav({ form: 'AVI ' }), 'RIFF form type is "AVI ", not "WAVE"'));

  it('big-endian RIFX and RF64 containers', () => {
    refused(wav({ container: 'RIFX' }), 'big-endian RIFX files are not supported');
    refused(wav({ container: 'RF64' }), 'RF64 files are not supported');
  });

  it('a truncated file (cut in the middle of the samples)', () => {
    const whole = wav({});
    refused(
      whole.subarray(0, whole.length - 5),
      `truncated: the RIFF header declares ${whole.length} bytes but the file has ${whole.length - 5}`,
    );
  });

  it('a data chunk whose size runs past the end of the file', () => {
    const bytes = wav({ dataSize: 1_000_000 });
    refused(bytes, `the "data" chunk at byte 36 declares 1000000 bytes but only ${pcm.length} remain`);
  });

  it('a RIFF size field too small for any content', () =>
    refused(wav({ riffSize: 2 }), 'RIFF size field is 2, too small for any content'));

  it('a missing "fmt " or "data" chunk', () => {
    refused(wav({ omitFmt: true }), 'no "fmt " chunk');
    refused(wav({ omitData: true }), 'no "data" chunk');
  });

  it('0 channels', () =>
    refused(wav({ channels: 0, blockAlign: 2, byteRate: 32000 }), 'the "fmt " chunk declares 0 channels'));

  it('an absurd number of channels', () =>
    refused(
      wav({ channels: 1000, data: new Uint8Array(2000) }),
      'the "fmt " chunk declares 1000 channels, more than 64',
    ));

  it('a sample rate of 10^9 Hz, and one below 8 kHz', () => {
    refused(wav({ sampleRate: 1e9, byteRate: 0 }), 'sample rate 1000000000 Hz is outside the supported 8000–96000 Hz');
    refused(wav({ sampleRate: 4000 }), 'sample rate 4000 Hz is outside the supported 8000–96000 Hz');
  });

  it('a byte rate inconsistent with rate × block align', () =>
    refused(wav({ byteRate: 44100 }), 'byte rate 44100 is inconsistent with 16000 Hz × 2-byte frames (32000)'));

  it('a block align inconsistent with channels × bits', () =>
    refused(wav({ blockAlign: 3, byteRate: 48000 }), 'block align 3 does not match 1 channel(s) × 16 bits (2)'));

  it('a zero-length data chunk', () => refused(wav({ data: new Uint8Array(0) }), 'the "data" chunk holds no samples'));

  it('a data chunk that ends mid-frame', () =>
    refused(
      wav({ channels: 2, data: new Uint8Array(10) }),
      'the "data" chunk has 10 bytes, not a whole number of 4-byte frames',
    ));

  it('an unsupported encoding (IMA ADPCM) or bit depth (12-bit PCM, 16-bit float)', () => {
    refused(wav({ formatTag: 0x11 }), 'unsupported format tag 0x0011; supported: PCM, IEEE float, A-law, µ-law');
    refused(
      wav({ bitsPerSample: 12, blockAlign: 2, byteRate: 32000 }),
      '12-bit pcm samples are not supported (expected 8, 16, 24, 32)',
    );
    refused(wav({ formatTag: 3 }), '16-bit float samples are not supported (expected 32, 64)');
    refused(wav({ extensibleSubformat: 0x55 }), 'unsupported WAVE_FORMAT_EXTENSIBLE sub-format (0x55)');
  });

  it('NaN and infinite float samples', () => {
    const withNaN = encodeSamples([[0, 0.5, -0.5, Number.NaN]], 'float', 32);
    assert.throws(
      () => readWav(wav({ formatTag: 3, bitsPerSample: 32, data: withNaN }), { name: 'nan.wav' }),
      (e) =>
        isUnmaskError(e, 'invalid_media') &&
        e.message === 'nan.wav: sample 3 of channel 0 is NaN (not a finite number)',
    );
    const withInf = encodeSamples(
      [
        [0, 0],
        [0, Number.NEGATIVE_INFINITY],
      ],
      'float',
      64,
    );
    assert.throws(
      () => readWav(wav({ formatTag: 3, channels: 2, bitsPerSample: 64, data: withInf }), { name: 'inf.wav' }),
      (e) =>
        isUnmaskError(e, 'invalid_media') &&
        e.message === 'inf.wav: sample 1 of channel 1 is -Infinity (not a finite number)',
    );
  });

  it('random garbage behind a valid RIFF/WAVE preamble is refused as invalid_media or decoded, never anything else', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const base = wav({});
    for (let trial = 0; trial < 500; trial++) {
      const bytes = base.slice(0, 12 + Math.floor(random() * (base.length - 12 + 40)));
      for (let i = 12; i < bytes.length; i++) if (random() < 0.15) bytes[i] = Math.floor(random() * 256);
      new DataView(bytes.buffer).setUint32(4, bytes.length - 8, true);
      try {
        const audio = readWav(bytes);
        assert.ok(audio.samples.every((s) => Number.isFinite(s) && Math.abs(s) <= 1));
      } catch (error) {
        assert.ok(isUnmaskError(error, 'invalid_media'), `trial ${trial}: ${String(error)}`);
      }
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { readWav, readWavHeader } from './read-wav.js';
import { buildWav, encodeSamples } from '../../test-support/make-wav.js';
import { readFixture } from '../../test-support/fixtures.js';

const close = (actual: Float32Array, expected: number[], tolerance = 1e-7) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tolerance, `sample ${i}: ${actual[i]} vs ${e}`));
};

describe('readWav: sample formats', () => {
  it('maps 16-bit PCM to [-1, 1) by dividing by 32768', () => {
    const audio = readWav(
      buildWav({
        channels: 1,
        sampleRate: 16000,
        bitsPerSample: 16,
        data: encodeSamples([[0, 16384, -32768, 32767, -1]], 'int', 16),
      }),
    );
    close(audio.samples, [0, 0.5, -1, 32767 / 32768, -1 / 32768]);
    assert.equal(audio.sampleRate, 16000);
    assert.equal(audio.encoding, 'pcm');
    assert.equal(audio.bitsPerSample, 16);
    assert.equal(audio.durationSeconds, 5 / 16000);
  });

  it('reads 8-bit PCM as unsigned with 128 as silence', () => {
    const audio = readWav(
      buildWav({
        channels: 1,
        sampleRate: 8000,
        bitsPerSample: 8,
        data: encodeSamples([[128, 192, 0, 255, 64]], 'uint8', 8),
      }),
    );
    close(audio.samples, [0, 0.5, -1, 127 / 128, -0.5]);
  });

  it('reads signed 24-bit and 32-bit PCM', () => {
    const a24 = readWav(
      buildWav({
        channels: 1,
        sampleRate: 48000,
        bitsPerSample: 24,
        data: encodeSamples([[0, 4194304, -8388608, -4194304, 1]], 'int', 24),
      }),
    );
    close(a24.samples, [0, 0.5, -1, -0.5, 1 / 8388608]);
    const a32 = readWav(
      buildWav({
        channels: 1,
        sampleRate: 48000,
        bitsPerSample: 32,
        data: encodeSamples([[0, 2 ** 30, -(2 ** 31), -(2 ** 29)]], 'int', 32),
      }),
    );
    close(a32.samples, [0, 0.5, -1, -0.25]);
  });

  it('reads 32- and 64-bit IEEE float and clips values beyond full scale', () => {
    const f32 = readWav(
      buildWav({
        formatTag: 3,
        channels: 1,
        sampleRate: 22050,
        bitsPerSample: 32,
        data: encodeSamples([[0.25, -0.5, 1.5, -3]], 'float', 32),
      }),
    );
    close(f32.samples, [0.25, -0.5, 1, -1]);
    assert.equal(f32.encoding, 'float');
    const f64 = readWav(
      buildWav({
        formatTag: 3,
        channels: 1,
        sampleRate: 22050,
        bitsPerSample: 64,
        data: encodeSamples([[0.125, -0.75, 1e-9]], 'float', 64),
      }),
    );
    close(f64.samples, [0.125, -0.75, 1e-9], 1e-12);
  });

  it('expands G.711 A-law and µ-law bytes to their 16-bit values', () => {
    // A-law: 0xD5 -> +8, 0x55 -> -8, 0xAA -> +32256, 0x2A -> -32256 (ITU-T G.711 table).
    const alaw = readWav(
      buildWav({
        formatTag: 6,
        channels: 1,
        sampleRate: 8000,
        bitsPerSample: 8,
        data: new Uint8Array([0xd5, 0x55, 0xaa, 0x2a]),
      }),
    );
    close(alaw.samples, [8 / 32768, -8 / 32768, 32256 / 32768, -32256 / 32768]);
    assert.equal(alaw.encoding, 'alaw');
    // µ-law: 0xFF -> 0, 0x80 -> +32124, 0x00 -> -32124.
    const mulaw = readWav(
      buildWav({
        formatTag: 7,
        channels: 1,
        sampleRate: 8000,
        bitsPerSample: 8,
        data: new Uint8Array([0xff, 0x80, 0x00]),
      }),
    );
    close(mulaw.samples, [0, 32124 / 32768, -32124 / 32768]);
    assert.equal(mulaw.encoding, 'mulaw');
  });

  it('averages any number of channels to mono', () => {
    const stereo = readWav(
      buildWav({
        channels: 2,
        sampleRate: 44100,
        bitsPerSample: 16,
        data: encodeSamples(
          [
            [16384, -32768, 8192],
            [-16384, 0, 8192],
          ],
          'int',
          16,
        ),
      }),
    );
    close(stereo.samples, [0, -0.5, 0.25]);
    assert.equal(stereo.channels, 2);
    const six = Array.from({ length: 6 }, (_, c) => [c * 1000, -c * 1000]);
    const surround = readWav(
      buildWav({ channels: 6, sampleRate: 48000, bitsPerSample: 16, data: encodeSamples(six, 'int', 16) }),
    );
    close(surround.samples, [2500 / 32768, -2500 / 32768]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE files by their sub-format', () => {
    const audio = readWav(
      buildWav({
        extensibleSubformat: 1,
        channels: 2,
        sampleRate: 96000,
        bitsPerSample: 24,
        data: encodeSamples([[4194304], [0]], 'int', 24),
      }),
    );
    close(audio.samples, [0.25]);
    const float = readWav(
      buildWav({
        extensibleSubformat: 3,
        channels: 1,
        sampleRate: 16000,
        bitsPerSample: 32,
        data: encodeSamples([[-0.375]], 'float', 32),
      }),
    );
    close(float.samples, [-0.375]);
  });

  it('skips other chunks, including odd-sized ones with their pad byte', () => {
    const audio = readWav(
      buildWav({
        channels: 1,
        sampleRate: 16000,
        bitsPerSample: 16,
        data: encodeSamples([[16384, -16384]], 'int', 16),
        extraChunks: [
          { id: 'LIST', body: new Uint8Array(7).fill(0x41) },
          { id: 'junk', body: new Uint8Array(3) },
        ],
      }),
    );
    close(audio.samples, [0.5, -0.5]);
  });

  it('reads the Whisper fixture: 16 kHz mono int16, 1.7 s', () => {
    const audio = readWav(readFixture('whisper/input.wav'));
    assert.equal(audio.sampleRate, 16000);
    assert.equal(audio.channels, 1);
    assert.equal(audio.samples.length, 27200);
    close(audio.samples.subarray(0, 3), [0, 2 / 32768, 3 / 32768]);
  });
});

describe('readWav: limits', () => {
  const second = (rate: number) => encodeSamples([Array.from({ length: rate }, () => 0)], 'int', 16);

  it('refuses a file longer than maxSeconds (default 30 s) with too_large, before decoding', () => {
    const data = new Uint8Array(31 * 8000 * 2);
    const wav = buildWav({ channels: 1, sampleRate: 8000, bitsPerSample: 16, data });
    assert.throws(
      () => readWav(wav),
      (e) => isUnmaskError(e, 'too_large') && /31\.00 s of audio exceeds the limit of 30 s/.test(e.message),
    );
    assert.throws(
      () =>
        readWav(buildWav({ channels: 1, sampleRate: 8000, bitsPerSample: 16, data: second(8000) }), {
          maxSeconds: 0.5,
        }),
      (e) => isUnmaskError(e, 'too_large') && /1\.00 s of audio exceeds the limit of 0\.5 s/.test(e.message),
    );
  });

  it('refuses more bytes than maxBytes (default 20 MiB) with too_large', () => {
    const wav = buildWav({ channels: 1, sampleRate: 8000, bitsPerSample: 16, data: second(8000) });
    assert.throws(
      () => readWav(wav, { maxBytes: 1000, name: 'clip.wav' }),
      (e) =>
        isUnmaskError(e, 'too_large') && e.message === `clip.wav: ${wav.length} bytes exceeds the limit of 1000 bytes`,
    );
    assert.throws(
      () => readWav(new Uint8Array(20 * 1024 * 1024 + 1)),
      (e) => isUnmaskError(e, 'too_large'),
    );
  });

  it('rejects nonsensical limits as invalid_parameter naming the limit', () => {
    const wav = buildWav({ channels: 1, sampleRate: 8000, bitsPerSample: 16, data: second(8000) });
    assert.throws(
      () => readWav(wav, { maxSeconds: -1 }),
      (e) =>
        isUnmaskError(e, 'invalid_parameter') && e.param === 'maxSeconds' && /^readWav: maxSeconds: /.test(e.message),
    );
  });
});

describe('readWavHeader then readWav: a request checks every sound before decoding one', () => {
  const wav = buildWav({
    channels: 2,
    sampleRate: 8000,
    bitsPerSample: 16,
    data: encodeSamples(
      [
        [0, 16384, -32768],
        [16384, 16384, 0],
      ],
      'int',
      16,
    ),
  });

  it('decodes the checked file to the samples its bytes give', () => {
    const checked = readWavHeader(wav, { name: 'clip.wav' });
    assert.equal(checked.durationSeconds, 3 / 8000);
    assert.equal(checked.name, 'clip.wav');
    assert.deepEqual(readWav(checked), readWav(wav));
  });

  it('applies its limits when checked, not again when decoded', () => {
    assert.throws(
      () => readWavHeader(wav, { maxSeconds: 1e-4, name: 'clip.wav' }),
      (e) => isUnmaskError(e, 'too_large') && e.param === 'clip.wav',
    );
    const checked = readWavHeader(wav, { maxSeconds: 1 });
    assert.equal(readWav(checked, { maxSeconds: 1e-4 }).samples.length, 3);
  });
});

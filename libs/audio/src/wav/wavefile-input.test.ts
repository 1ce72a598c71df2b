import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readWav } from './read-wav.js';
import { parseWavHeader } from './riff-header.js';
import { wavefileInput } from './wavefile-input.js';
import { buildWav, encodeSamples, type WavSpec } from '../../test-support/make-wav.js';

const pcm = encodeSamples([[16384, -16384, 8192]], 'int', 16);
const base: WavSpec = { channels: 1, sampleRate: 16000, bitsPerSample: 16, data: pcm };
const ascii = (text: string) => new TextEncoder().encode(text);
/** A chunk's bytes (header, body, pad byte), as a LIST's body holds its sub-chunks. */
function subChunk(id: string, body: Uint8Array, declared = body.length): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length % 2));
  out.set(ascii(id));
  new DataView(out.buffer).setUint32(4, declared, true);
  out.set(body, 8);
  return out;
}
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const infoList = (text: string) => ({ id: 'LIST', body: concat(ascii('INFO'), subChunk('ISFT', ascii(`${text}\0`))) });

/** Whether wavefile is handed the file itself (a view of its bytes up to the RIFF end). */
function readsItself(bytes: Uint8Array): boolean {
  const input = wavefileInput(bytes, parseWavHeader(bytes));
  return input.buffer === bytes.buffer && input.byteOffset === bytes.byteOffset;
}

describe('wavefileInput: wavefile parses the file itself where it reads within bounds', () => {
  it('a plain file, one LIST INFO chunk (as ffmpeg writes) and a fact chunk: the file, up to its RIFF end', () => {
    for (const extraChunks of [[], [infoList('Lavf58.76.100')], [{ id: 'fact', body: new Uint8Array(4) }]]) {
      const bytes = buildWav({ ...base, extraChunks });
      assert.ok(readsItself(bytes));
      assert.deepEqual([...readWav(bytes).samples], [0.5, -0.5, 0.25]);
    }
    const trailing = concat(buildWav(base), ascii('LIST\x04\0\0\0INFO'));
    assert.equal(wavefileInput(trailing, parseWavHeader(trailing)).length, trailing.length - 12);
  });

  it('an odd-sized data chunk with its pad byte: the pad byte is not read as a sample', () => {
    const bytes = buildWav({ channels: 1, sampleRate: 8000, bitsPerSample: 8, data: new Uint8Array([128, 192, 64]) });
    const copy = bytes.slice();
    assert.ok(readsItself(bytes));
    assert.deepEqual([...readWav(bytes).samples], [0, 0.5, -0.5]);
    assert.deepEqual(bytes, copy, 'the input is not written to');
  });
});

describe('wavefileInput: the files wavefile cannot parse itself get a header of the checked fields', () => {
  const cases: Record<string, WavSpec> = {
    'a cue chunk of 12 bytes declaring 2^32 - 1 points (wavefile loops them)': {
      ...base,
      extraChunks: [{ id: 'cue ', body: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }],
    },
    'a smpl chunk declaring more loops than it holds': {
      ...base,
      extraChunks: [
        { id: 'smpl', body: concat(new Uint8Array(28), new Uint8Array([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])) },
      ],
    },
    'two LIST chunks (wavefile throws a TypeError)': { ...base, extraChunks: [infoList('a'), infoList('b')] },
    'a LIST whose sub-chunks do not tile it': {
      ...base,
      extraChunks: [{ id: 'LIST', body: new Uint8Array(7).fill(0x41) }],
    },
    'a LIST inside a LIST': {
      ...base,
      extraChunks: [{ id: 'LIST', body: concat(ascii('INFO'), subChunk('LIST', ascii('INFO'))) }],
    },
    'a bext chunk shorter than the 602 bytes of fields wavefile reads': {
      ...base,
      extraChunks: [{ id: 'bext', body: new Uint8Array(10) }],
    },
    'a junk chunk over 64 KiB (wavefile copies it into an array)': {
      ...base,
      extraChunks: [{ id: 'junk', body: new Uint8Array(65 * 1024) }],
    },
  };
  for (const [name, spec] of Object.entries(cases))
    it(name, () => {
      const bytes = buildWav(spec);
      assert.equal(readsItself(bytes), false);
      assert.deepEqual([...readWav(bytes).samples], [0.5, -0.5, 0.25]);
    });

  it('WAVE_FORMAT_EXTENSIBLE float, A-law and µ-law (wavefile would decode them as integer PCM)', () => {
    const float = buildWav({
      ...base,
      extensibleSubformat: 3,
      bitsPerSample: 32,
      data: encodeSamples([[-0.375]], 'float', 32),
    });
    assert.equal(readsItself(float), false);
    assert.deepEqual([...readWav(float).samples], [-0.375]);
    const alaw = buildWav({ ...base, extensibleSubformat: 6, bitsPerSample: 8, data: new Uint8Array([0xd5]) });
    assert.equal(readsItself(alaw), false);
    assert.deepEqual([...readWav(alaw).samples], [8 / 32768]);
    const extensiblePcm = buildWav({ ...base, extensibleSubformat: 1 });
    assert.ok(readsItself(extensiblePcm));
  });
});

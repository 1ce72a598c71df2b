import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeWav16, resampleLinear } from './wav.js';

describe('encodeWav16', () => {
  it('writes a RIFF/WAVE header for mono 16-bit PCM at the given rate', () => {
    const wav = encodeWav16(new Float32Array([0, 0.5, -0.5]), 16000);
    const view = new DataView(wav.buffer);
    const text = (o: number, n: number) => String.fromCharCode(...wav.slice(o, o + n));
    assert.equal(text(0, 4), 'RIFF');
    assert.equal(view.getUint32(4, true), wav.length - 8);
    assert.equal(text(8, 8), 'WAVEfmt ');
    assert.equal(view.getUint16(20, true), 1);
    assert.equal(view.getUint16(22, true), 1);
    assert.equal(view.getUint32(24, true), 16000);
    assert.equal(view.getUint32(28, true), 32000);
    assert.equal(view.getUint16(34, true), 16);
    assert.equal(text(36, 4), 'data');
    assert.equal(view.getUint32(40, true), 6);
  });

  it('scales samples to 16-bit integers and clips values outside [-1, 1]', () => {
    const wav = encodeWav16(new Float32Array([1, -1, 2, -3, 0.25]), 8000);
    const view = new DataView(wav.buffer);
    const pcm = [0, 1, 2, 3, 4].map((i) => view.getInt16(44 + i * 2, true));
    assert.deepEqual(pcm, [32767, -32768, 32767, -32768, Math.round(0.25 * 32767)]);
  });
});

describe('resampleLinear', () => {
  it('keeps the duration: 48 kHz to 16 kHz takes a third of the samples', () => {
    const out = resampleLinear(new Float32Array(4800), 48000, 16000);
    assert.equal(out.length, 1600);
  });

  it('interpolates between neighbouring samples', () => {
    const out = resampleLinear(new Float32Array([0, 1, 2, 3]), 2, 4);
    assert.deepEqual([...out], [0, 0.5, 1, 1.5, 2, 2.5, 3, 3]);
  });
});

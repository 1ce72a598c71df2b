import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { float16BitsToFloat32 } from '@unmask/core';
import { encodeRows, quantizeQ4_0, quantizeQ8_0, rowBytes } from './gguf-encoding.js';

describe("GGUF's tensor encodings", () => {
  it('quantises Q8_0 blocks as ggml does: d = max|x| / 127, codes round(x / d)', () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => (i - 10) / 8);
    const out = new Uint8Array(34);
    quantizeQ8_0(x, out);
    const d = float16BitsToFloat32(out[0]! | (out[1]! << 8));
    assert.ok(Math.abs(d - 21 / 8 / 127) < 1e-5);
    const codes = Int8Array.from(out.subarray(2));
    assert.equal(codes[31], 127);
    assert.equal(codes[10], 0);
    x.forEach((v, i) => assert.ok(Math.abs(codes[i]! * d - v) <= d / 2 + 1e-6, `element ${i}`));
  });

  it('quantises Q4_0 blocks as ggml does: the largest magnitude maps to code 0 (−8·d), nibbles j and j+16 share byte j', () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? -4 : (i % 7) / 7 - 0.4));
    const out = new Uint8Array(18);
    quantizeQ4_0(x, out);
    const d = float16BitsToFloat32(out[0]! | (out[1]! << 8));
    assert.equal(d, 0.5);
    const code = (i: number) => (i < 16 ? out[2 + i]! & 15 : out[2 + i - 16]! >> 4);
    assert.equal(code(5), 0);
    x.forEach((v, i) => assert.ok(Math.abs((code(i) - 8) * d - v) <= d / 2 + 1e-6, `element ${i}`));
  });

  it('sizes rows by type: 4 or 2 bytes a value, 34 or 18 bytes a block of 32', () => {
    assert.deepEqual(
      (['F32', 'F16', 'Q8_0', 'Q4_0'] as const).map((t) => rowBytes(t, 64)),
      [256, 128, 68, 36],
    );
  });

  it('encodes rows block by block: each row of Q8_0 is the row quantised alone', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const whole = encodeRows('Q8_0', values, 32);
    const second = new Uint8Array(34);
    quantizeQ8_0(values.subarray(32), second);
    assert.deepEqual(whole.subarray(34), second);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toFloat32 } from './safetensors.js';

/** Little-endian bytes of `values` in `dtype`'s array type, at byte offset `shift` of a larger buffer. */
function bytesOf(values: number[], dtype: 'F32' | 'F64', shift = 0): Uint8Array {
  const typed = dtype === 'F32' ? Float32Array.from(values) : Float64Array.from(values);
  const out = new Uint8Array(typed.byteLength + shift);
  out.set(new Uint8Array(typed.buffer), shift);
  return out.subarray(shift);
}
/** bfloat16 bits of float32 values that bf16 holds exactly (the high half of their float32 bits). */
const bf16Bits = (values: number[]) =>
  new Uint8Array(Uint16Array.from(new Uint32Array(Float32Array.from(values).buffer), (b) => b >>> 16).buffer);

describe('toFloat32', () => {
  const values = [0, -0, 1, -1, 0.5, -2.25, 1024, -65280, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

  it('reads BF16 as the high half of float32 bits, negative values and infinities included', () => {
    assert.deepEqual([...toFloat32('BF16', bf16Bits(values), values.length)], values);
  });

  it('reads F16, F32 and F64, aligned or not', () => {
    const half = new Uint8Array(Uint16Array.from([0x0000, 0x3c00, 0xc000, 0x3800, 0x7c00]).buffer);
    assert.deepEqual([...toFloat32('F16', half, 5)], [0, 1, -2, 0.5, Number.POSITIVE_INFINITY]);
    for (const shift of [0, 1]) {
      assert.deepEqual([...toFloat32('F32', bytesOf(values, 'F32', shift), values.length)], values);
      assert.deepEqual([...toFloat32('F64', bytesOf(values, 'F64', shift), values.length)], values);
    }
  });

  it('writes into a given output and returns a view of its first n elements, for streaming one buffer', () => {
    const out = new Float32Array(16).fill(7);
    const first = toFloat32('BF16', bf16Bits([1, 2, 3]), 3, out);
    assert.equal(first.buffer, out.buffer);
    assert.deepEqual([...first], [1, 2, 3]);
    const second = toFloat32('BF16', bf16Bits([-4, 5]), 2, out);
    assert.deepEqual([...second], [-4, 5]);
    assert.deepEqual([...out.subarray(0, 4)], [-4, 5, 3, 7], 'the next chunk overwrites the buffer in place');
    assert.throws(() => toFloat32('BF16', bf16Bits([1, 2, 3]), 3, new Float32Array(2)), /do not fit/);
  });

  it('refuses a dtype that is not a float', () => {
    assert.throws(() => toFloat32('I64' as 'F32', new Uint8Array(8), 1), /not a float dtype/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError } from '../errors.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../io/float16.js';
import { ownedForTransfer, toOrtTensor } from './tensor-convert.js';

describe('float16 conversion at the runtime boundary', () => {
  it('encodes exact half-precision values to their IEEE bits and back', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [Infinity, 0x7c00],
    ];
    for (const [value, bits] of cases) {
      assert.equal(float32ToFloat16Bits(value), bits, `bits of ${value}`);
      assert.equal(float16BitsToFloat32(bits), value, `value of 0x${bits.toString(16)}`);
    }
    assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN))));
  });

  it('rounds to the nearest half, ties to even, and overflows to infinity', () => {
    assert.equal(float16BitsToFloat32(float32ToFloat16Bits(1 + 2 ** -11)), 1); // tie → even (1.0)
    assert.equal(float16BitsToFloat32(float32ToFloat16Bits(1 + 3 * 2 ** -11)), 1 + 2 ** -9); // tie → even (odd mantissa up)
    assert.equal(float16BitsToFloat32(float32ToFloat16Bits(0.1)), 0.0999755859375);
    assert.equal(float32ToFloat16Bits(1e6), 0x7c00);
  });
});

describe('tensors crossing to onnxruntime', () => {
  it('refuse data whose length does not match the dims', () => {
    assert.throws(
      () => toOrtTensor('x', { type: 'float32', dims: [2, 3], data: new Float32Array(5) }),
      (e) =>
        isUnmaskError(e, 'invalid_parameter') &&
        /tensor "x": dims \[2, 3\] need 6 elements, data has 5/.test(e.message),
    );
  });

  it('are copied before transfer when they view part of a larger buffer', () => {
    const shared = new Float32Array(8);
    const { tensors, transfer } = ownedForTransfer({
      a: { type: 'float32', dims: [4], data: shared.subarray(0, 4) },
      b: { type: 'float32', dims: [4], data: new Float32Array(4) },
    });
    assert.equal(transfer.length, 2);
    assert.notEqual(tensors.a!.data.buffer, shared.buffer);
    assert.equal(tensors.a!.data.byteLength, tensors.a!.data.buffer.byteLength);
  });
});

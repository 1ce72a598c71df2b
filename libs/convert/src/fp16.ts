/**
 * float32 → IEEE half conversion (round to nearest, ties to even; overflow to ±∞, NaN kept),
 * and a checkpoint tensor as a streamed FLOAT16 initializer.
 */
import type { CheckpointTensors } from './checkpoint-tensors.js';
import type { InitializerSource } from './onnx-graph-builder.js';

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The half-precision bits of `value` (rounded to float32 first). */
export function float32ToFloat16Bits(value: number): number {
  scratch[0] = value;
  return halfFromFloatBits(scratchBits[0]!);
}

function halfFromFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^−24.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const kept = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (rest > halfway || (rest === halfway && (kept & 1) === 1) ? kept + 1 : kept);
  }
  const half = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to ∞).
  return rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
}

/** Converts float32 values to half bits. */
export function toFloat16(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfFromFloatBits(bits[i]!);
  return out;
}

/** The checkpoint tensor `name` as a FLOAT16 initializer, converted chunk by chunk. */
export function float16Source(checkpoint: CheckpointTensors, name: string): InitializerSource {
  const tensor = checkpoint.get(name);
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  return {
    dataType: 'FLOAT16',
    dims: tensor.shape,
    byteLength: count * 2,
    produce: (write) =>
      checkpoint.readFloat32Chunks(name, (chunk) => {
        const half = toFloat16(chunk);
        write(new Uint8Array(half.buffer, half.byteOffset, half.byteLength));
      }),
  };
}

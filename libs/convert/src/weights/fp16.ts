/**
 * float32 → IEEE half conversion (@unmask/core's, over whole arrays), and a checkpoint tensor as a streamed FLOAT16 initializer.
 */
import { float32BitsToFloat16Bits, float32ToFloat16Bits } from '@unmask/core';
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import type { InitializerSource } from '../onnx/onnx-graph-builder.js';

/** The half-precision bits of `value` (rounded to float32 first). */
export { float32ToFloat16Bits };

/** Converts float32 values to half bits. */
export function toFloat16(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]!);
  return out;
}

/** The checkpoint tensor `name` as a FLOAT16 initializer, converted chunk by chunk. */
export function float16Source(checkpoint: CheckpointTensors, name: string): InitializerSource {
  return {
    dataType: 'FLOAT16',
    dims: checkpoint.get(name).shape,
    byteLength: checkpoint.elements(name) * 2,
    produce: (write) => {
      let out = new Uint16Array(0); // one buffer for every chunk (the writer consumes each chunk at once)
      checkpoint.readFloat32Chunks(name, (chunk) => {
        if (out.length < chunk.length) out = new Uint16Array(chunk.length);
        const half = toFloat16(chunk, out.subarray(0, chunk.length));
        write(new Uint8Array(half.buffer, half.byteOffset, half.byteLength));
      });
    },
  };
}

/**
 * Conversions between the runtime-neutral `TensorData` of graph-runner.ts and onnxruntime
 * tensors. float16 tensors cross the boundary as Float32Array (converted here, both ways).
 */
import type { Tensor } from 'onnxruntime-node';
import ort from 'onnxruntime-node';
import { UnmaskError } from '../errors.js';
import type { TensorData, TensorElementType } from './graph-runner.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../io/float16.js';

const SUPPORTED: ReadonlySet<string> = new Set<TensorElementType>([
  'float32',
  'float16',
  'int64',
  'int32',
  'bool',
  'uint8',
]);

export function isTensorElementType(type: string): type is TensorElementType {
  return SUPPORTED.has(type);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** A plain `TensorData` as an onnxruntime tensor (no copy except for float16). */
export function toOrtTensor(name: string, tensor: TensorData): Tensor {
  const expected = elementCount(tensor.dims);
  if (tensor.data.length !== expected) {
    throw new UnmaskError(
      'invalid_parameter',
      `tensor "${name}": dims [${tensor.dims.join(', ')}] need ${expected} elements, data has ${tensor.data.length}`,
      name,
    );
  }
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float16': {
      const source = tensor.data as Float32Array;
      const bits = new Uint16Array(source.length);
      for (let i = 0; i < source.length; i++) bits[i] = float32ToFloat16Bits(source[i]!);
      return new ort.Tensor('float16', bits, dims);
    }
    case 'float32':
    case 'int64':
    case 'int32':
    case 'uint8':
    case 'bool':
      return new ort.Tensor(tensor.type, tensor.data as never, dims);
  }
}

/** An onnxruntime output tensor as `TensorData` (float16 widened to Float32Array). */
export function fromOrtTensor(name: string, tensor: Tensor): TensorData {
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return { type: 'float32', dims, data: tensor.data as Float32Array };
    case 'float16': {
      const raw = tensor.data as unknown as ArrayLike<number>;
      const out = new Float32Array(raw.length);
      if (raw instanceof Uint16Array) for (let i = 0; i < raw.length; i++) out[i] = float16BitsToFloat32(raw[i]!);
      else for (let i = 0; i < raw.length; i++) out[i] = raw[i]!;
      return { type: 'float32', dims, data: out };
    }
    case 'int64':
      return { type: 'int64', dims, data: tensor.data as BigInt64Array };
    case 'int32':
      return { type: 'int32', dims, data: tensor.data as Int32Array };
    case 'bool':
    case 'uint8':
      return { type: tensor.type, dims, data: tensor.data as Uint8Array };
    default:
      throw new UnmaskError(
        'runtime_error',
        `output "${name}" has element type ${tensor.type}, which the runtime does not support`,
        name,
      );
  }
}

/**
 * The buffers to put in a postMessage transfer list for these tensors. A typed array that is a
 * view on part of a larger buffer is copied first, so only memory the tensor owns is moved.
 */
export function ownedForTransfer(tensors: Record<string, TensorData>): {
  tensors: Record<string, TensorData>;
  transfer: ArrayBuffer[];
} {
  const seen = new Set<ArrayBufferLike>();
  const out: Record<string, TensorData> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    let data = tensor.data;
    if (
      data.byteOffset !== 0 ||
      data.byteLength !== data.buffer.byteLength ||
      seen.has(data.buffer) ||
      !(data.buffer instanceof ArrayBuffer)
    ) {
      data = data.slice() as typeof data;
    }
    seen.add(data.buffer);
    out[name] = { ...tensor, data };
  }
  return {
    tensors: out,
    transfer: [...seen].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength > 0),
  };
}

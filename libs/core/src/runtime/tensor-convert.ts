/**
 * Conversions between the runtime-neutral `TensorData` of graph-runner.ts and onnxruntime
 * tensors. float16 tensors cross the boundary as Float32Array (converted here, both ways).
 */
import type { Tensor } from 'onnxruntime-node';
import ort from 'onnxruntime-node';
import { UnmaskError } from '../errors.js';
import type { TensorData, TensorElementType } from './graph-runner.js';

const SUPPORTED: ReadonlySet<string> = new Set<TensorElementType>(['float32', 'float16', 'int64', 'int32', 'bool', 'uint8']);

export function isTensorElementType(type: string): type is TensorElementType {
  return SUPPORTED.has(type);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE 754 binary32 → binary16 bits, round to nearest even. */
export function float32ToFloat16Bits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (remainder > midpoint || (remainder === midpoint && (half & 1))) half += 1;
    return sign | half;
  }
  let half = sign | (e << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1))) half += 1;
  return half;
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
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
      throw new UnmaskError('runtime_error', `output "${name}" has element type ${tensor.type}, which the runtime does not support`, name);
  }
}

/**
 * The buffers to put in a postMessage transfer list for these tensors. A typed array that is a
 * view on part of a larger buffer is copied first, so only memory the tensor owns is moved.
 */
export function ownedForTransfer(tensors: Record<string, TensorData>): { tensors: Record<string, TensorData>; transfer: ArrayBuffer[] } {
  const seen = new Set<ArrayBufferLike>();
  const out: Record<string, TensorData> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    let data = tensor.data;
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || seen.has(data.buffer) || !(data.buffer instanceof ArrayBuffer)) {
      data = data.slice() as typeof data;
    }
    seen.add(data.buffer);
    out[name] = { ...tensor, data };
  }
  return { tensors: out, transfer: [...seen].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength > 0) };
}

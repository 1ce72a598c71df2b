/**
 * A whole-file safetensors reader for test fixtures (reference tensors written by the PyTorch
 * scripts beside them): tensors by name as float32 or integers. Tests only: the converter streams
 * checkpoints with its own reader; both parse headers with io/safetensors.ts.
 */
import { readFileSync } from 'node:fs';
import { UnmaskError } from '../errors.js';
import { FLOAT_DTYPES, parseSafetensorsHeader, type SafetensorsDtype, toFloat32 } from '../io/safetensors.js';

export interface Tensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** The raw little-endian bytes. */
  readonly bytes: Uint8Array;
}

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly tensors: ReadonlyMap<string, Tensor>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  static read(path: string): SafetensorsFile {
    const buffer = readFileSync(path);
    const header = parseSafetensorsHeader(
      (offset, length) => buffer.subarray(offset, offset + length),
      buffer.length,
      (why) => new UnmaskError('invalid_bundle', `${path}: not a valid safetensors file: ${why}`, path),
    );
    const tensors = new Map<string, Tensor>();
    for (const { name, dtype, shape, begin, byteLength } of header.entries) {
      const start = header.dataStart + begin;
      tensors.set(name, { dtype, shape, bytes: buffer.subarray(start, start + byteLength) });
    }
    return new SafetensorsFile(path, tensors, header.metadata);
  }

  /** The tensor names, in header order. */
  get names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  tensor(name: string): Tensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new UnmaskError('invalid_bundle', `${this.path}: no tensor named "${name}"`, name);
    return tensor;
  }

  /** The tensor as float32 (F32, F16, BF16 and F64 are converted). */
  float32(name: string): { shape: readonly number[]; data: Float32Array } {
    const { dtype, shape, bytes } = this.tensor(name);
    if (!FLOAT_DTYPES.includes(dtype))
      throw new UnmaskError('invalid_bundle', `${this.path}: tensor "${name}" is ${dtype}, not a float type`, name);
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, data: Float32Array.from(toFloat32(dtype, bytes, n)) };
  }

  /** The tensor as int64 values in plain numbers (I64, I32, I16, I8, U8). */
  integers(name: string): { shape: readonly number[]; data: number[] } {
    const { dtype, shape, bytes } = this.tensor(name);
    const n = shape.reduce((a, b) => a * b, 1);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const read: Partial<Record<SafetensorsDtype, (i: number) => number>> = {
      I64: (i) => Number(view.getBigInt64(i * 8, true)),
      I32: (i) => view.getInt32(i * 4, true),
      I16: (i) => view.getInt16(i * 2, true),
      I8: (i) => view.getInt8(i),
      U8: (i) => view.getUint8(i),
    };
    const get = read[dtype];
    if (!get)
      throw new UnmaskError('invalid_bundle', `${this.path}: tensor "${name}" is ${dtype}, not an integer type`, name);
    return { shape, data: Array.from({ length: n }, (_, i) => get(i)) };
  }
}

/**
 * A reader for the safetensors format: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then raw data.
 * Used for test fixtures and, later, for checkpoint conversion.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UnmaskError } from '../errors.js';

const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

const tensorEntry = z.object({
  dtype: z.enum(Object.keys(DTYPE_BYTES) as [SafetensorsDtype, ...SafetensorsDtype[]]),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});
export type SafetensorsEntry = z.infer<typeof tensorEntry>;

export interface Tensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** The raw little-endian bytes. */
  readonly bytes: Uint8Array;
}

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly buffer: Buffer,
    private readonly dataStart: number,
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  static read(path: string): SafetensorsFile {
    const buffer = readFileSync(path);
    const fail = (why: string) =>
      new UnmaskError('invalid_bundle', `${path}: not a valid safetensors file: ${why}`, path);
    if (buffer.length < 8) throw fail('shorter than its 8-byte header length');
    const headerLength = Number(buffer.readBigUInt64LE(0));
    if (8 + headerLength > buffer.length) throw fail(`header length ${headerLength} runs past the end of the file`);
    let header: unknown;
    try {
      header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8'));
    } catch (error) {
      throw fail(`header is not JSON (${(error as Error).message})`);
    }
    if (typeof header !== 'object' || header === null) throw fail('header is not a JSON object');
    const dataStart = 8 + headerLength;
    const entries = new Map<string, SafetensorsEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = z.record(z.string(), z.string()).parse(value);
        continue;
      }
      const parsed = tensorEntry.safeParse(value);
      if (!parsed.success) throw fail(`tensor "${name}": ${parsed.error.issues[0]?.message ?? 'malformed entry'}`);
      const entry = parsed.data;
      const [begin, end] = entry.data_offsets;
      const expected = entry.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[entry.dtype];
      if (end - begin !== expected)
        throw fail(`tensor "${name}" has ${end - begin} bytes, its shape needs ${expected}`);
      if (dataStart + end > buffer.length) throw fail(`tensor "${name}" runs past the end of the file`);
      entries.set(name, entry);
    }
    return new SafetensorsFile(path, buffer, dataStart, entries, metadata);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  tensor(name: string): Tensor {
    const entry = this.entries.get(name);
    if (!entry) throw new UnmaskError('invalid_bundle', `${this.path}: no tensor named "${name}"`, name);
    const [begin, end] = entry.data_offsets;
    return {
      dtype: entry.dtype,
      shape: entry.shape,
      bytes: this.buffer.subarray(this.dataStart + begin, this.dataStart + end),
    };
  }

  /** The tensor as float32 (F32, F16, BF16 and F64 are converted). */
  float32(name: string): { shape: readonly number[]; data: Float32Array } {
    const { dtype, shape, bytes } = this.tensor(name);
    const n = shape.reduce((a, b) => a * b, 1);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const data = new Float32Array(n);
    switch (dtype) {
      case 'F32':
        for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
        break;
      case 'F64':
        for (let i = 0; i < n; i++) data[i] = view.getFloat64(i * 8, true);
        break;
      case 'F16':
        for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(i * 2, true));
        break;
      case 'BF16': {
        const u32 = new Uint32Array(data.buffer);
        for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
        break;
      }
      default:
        throw new UnmaskError('invalid_bundle', `${this.path}: tensor "${name}" is ${dtype}, not a float type`, name);
    }
    return { shape, data };
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

/** IEEE 754 half precision to a JavaScript number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then raw data.
 * The repository's one dtype → bytes table and one conversion of stored floats to float32; the
 * converter's streaming checkpoint reader (@unmask/convert) and the test fixtures' whole-file
 * reader (test-support/safetensors-file.ts) both parse headers here. Hand-written: the format
 * is a length and a JSON header, and the converter reads tensors in place from their offsets.
 */
import { z } from 'zod';
import { float16BitsToFloat32 } from './float16.js';

/** Bytes per element of each safetensors dtype (PyTorch checkpoints are mapped onto the same names). */
export const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
/** The dtypes read as floating-point weights. */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

const entrySchema = z.object({
  dtype: z.enum(Object.keys(DTYPE_BYTES) as [SafetensorsDtype, ...SafetensorsDtype[]]),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

/** One tensor of a header, its data at `[dataStart + begin, dataStart + begin + byteLength)` of the file. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte offset of its data from the end of the header. */
  readonly begin: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  /** Where the data starts in the file (8 + header length). */
  readonly dataStart: number;
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** The largest header accepted (a header lists names and shapes only). */
export const HEADER_LIMIT = 100 * 1024 * 1024;

/**
 * Parses a header from the file's first bytes. `read(offset, length)` returns up to `length` bytes
 * of the file from `offset`; `fileSize` bounds every tensor. `fail(why)` makes the error thrown.
 */
export function parseSafetensorsHeader(
  read: (offset: number, length: number) => Uint8Array,
  fileSize: number,
  fail: (why: string) => Error,
): SafetensorsHeader {
  const lengthBytes = read(0, 8);
  if (lengthBytes.length < 8) throw fail('shorter than its 8-byte header length');
  const headerLength = Number(Buffer.from(lengthBytes).readBigUInt64LE(0));
  if (headerLength > HEADER_LIMIT) throw fail(`header length ${headerLength} is implausibly large`);
  if (8 + headerLength > fileSize) throw fail(`header length ${headerLength} runs past the end of the file`);
  const headerBytes = read(8, headerLength);
  if (headerBytes.length !== headerLength) throw fail(`header length ${headerLength} runs past the end of the file`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(headerBytes).toString('utf8'));
  } catch (error) {
    throw fail(`header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      const parsed = z.record(z.string(), z.string()).safeParse(value);
      if (!parsed.success) throw fail('__metadata__ is not a map of strings');
      metadata = parsed.data;
      continue;
    }
    const parsed = entrySchema.safeParse(value);
    if (!parsed.success) throw fail(`tensor "${name}": ${parsed.error.issues[0]?.message ?? 'malformed entry'}`);
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = parsed.data;
    const needed = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end - begin !== needed)
      throw fail(`tensor "${name}" has ${end - begin} bytes, its shape [${shape.join(', ')}] needs ${needed}`);
    if (dataStart + end > fileSize)
      throw fail(`tensor "${name}" runs past the end of the file (${fileSize} bytes): the file is cut short`);
    entries.push({ name, dtype, shape, begin, byteLength: needed });
  }
  return { dataStart, entries, metadata };
}

let halfTable: Float32Array | undefined;
/** float16 bits → float32, all 65 536 of them (built once, from io/float16.ts). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) halfTable[h] = float16BitsToFloat32(h);
  return halfTable;
}

/**
 * `n` little-endian elements of a float dtype (F32, F16, BF16, F64) as float32. F32 bytes that are
 * aligned are viewed, not copied; little-endian machines only (the callers check). Throws for other dtypes.
 * `out` (at least `n` long): converted values go there and a view of its first `n` is returned, so a
 * caller streaming chunks reuses one buffer (first touches of fresh memory cost more than the conversion).
 */
export function toFloat32(dtype: SafetensorsDtype, raw: Uint8Array, n: number, out?: Float32Array): Float32Array {
  if (!FLOAT_DTYPES.includes(dtype)) throw new Error(`${dtype} is not a float dtype`);
  if (out && out.length < n) throw new Error(`toFloat32: ${n} elements do not fit the ${out.length}-element output`);
  const bytes = DTYPE_BYTES[dtype];
  const data = raw.byteOffset % bytes === 0 ? raw : new Uint8Array(raw.subarray(0, n * bytes));
  const target = () => (out ? out.subarray(0, n) : new Float32Array(n));
  switch (dtype) {
    case 'F32':
      return new Float32Array(data.buffer, data.byteOffset, n);
    case 'BF16': {
      const half = new Uint16Array(data.buffer, data.byteOffset, n);
      const floats = target();
      // An Int32Array: a shifted bf16 with its sign bit set is a negative int32, stored without conversion.
      const bits = new Int32Array(floats.buffer, floats.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = half[i]! << 16;
      return floats;
    }
    case 'F16': {
      const half = new Uint16Array(data.buffer, data.byteOffset, n);
      const table = halfToFloatTable();
      const floats = target();
      for (let i = 0; i < n; i++) floats[i] = table[half[i]!]!;
      return floats;
    }
    default: {
      const floats = target();
      floats.set(new Float64Array(data.buffer, data.byteOffset, n));
      return floats;
    }
  }
}

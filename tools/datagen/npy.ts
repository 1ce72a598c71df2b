/**
 * Writes NumPy `.npy` files (format 1.0), the hand-off from the TypeScript data generator to the
 * PyTorch trainer: little-endian, C order, dtypes uint8, int32, float16 and float32.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export type NpyDtype = 'uint8' | 'int32' | 'float16' | 'float32';
const DESCR: Record<NpyDtype, string> = { uint8: '|u1', int32: '<i4', float16: '<f2', float32: '<f4' };

export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1; // magic(6) + version(2) + length(2) + dict + '\n'
  dict += `${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const header = Buffer.alloc(10 + dict.length);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(dict.length, 8);
  header.write(dict, 10, 'latin1');
  return header;
}

/** Float32 → IEEE 754 half (round to nearest even), as the bits of a Uint16Array. */
export function toFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i] as number;
    const x = u32[0] as number;
    const sign = (x >>> 16) & 0x8000;
    const exponent = (x >>> 23) & 0xff;
    let mantissa = x & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa ? 0x200 : 0);
      continue;
    }
    const e = exponent - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mantissa |= 0x800000;
      const shift = 14 - e;
      let half = mantissa >>> shift;
      const rest = mantissa & ((1 << shift) - 1);
      const midpoint = 1 << (shift - 1);
      if (rest > midpoint || (rest === midpoint && half & 1)) half += 1;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mantissa >>> 13);
    const rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half += 1; // a carry into the exponent is still correct
    out[i] = sign | half;
  }
  return out;
}

/** Streams rows of a known total shape into an .npy file. */
export class NpyWriter {
  private readonly fd: number;
  private written = 0;
  private readonly total: number;

  constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
  ) {
    this.total = shape.reduce((a, b) => a * b, 1);
    this.fd = openSync(path, 'w');
    writeSync(this.fd, npyHeader(dtype, shape));
  }

  /** Appends values (converted to the file's dtype). */
  append(values: ArrayLike<number>): void {
    if (this.written + values.length > this.total)
      throw new Error(`${this.path}: more values than its shape [${this.shape.join(', ')}] holds`);
    let bytes: Uint8Array;
    switch (this.dtype) {
      case 'float16':
        bytes = new Uint8Array(toFloat16(values).buffer);
        break;
      case 'float32':
        bytes = new Uint8Array(Float32Array.from(values).buffer);
        break;
      case 'int32':
        bytes = new Uint8Array(Int32Array.from(values).buffer);
        break;
      case 'uint8':
        bytes = Uint8Array.from(values);
        break;
    }
    writeSync(this.fd, bytes);
    this.written += values.length;
  }

  close(): void {
    closeSync(this.fd);
    if (this.written !== this.total)
      throw new Error(`${this.path}: wrote ${this.written} values, its shape needs ${this.total}`);
  }
}

export function writeNpy(path: string, dtype: NpyDtype, shape: readonly number[], values: ArrayLike<number>): void {
  const writer = new NpyWriter(path, dtype, shape);
  writer.append(values);
  writer.close();
}

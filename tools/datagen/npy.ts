/**
 * Writes NumPy `.npy` files (format 1.0), the hand-off from the TypeScript data generator to the
 * PyTorch trainer: little-endian, C order, dtypes uint8, int32, float16 and float32.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { float32ToFloat16Bits } from '@unmask/core';

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

/** Float32 → IEEE 754 half (round to nearest even, @unmask/core's conversion), as the bits of a Uint16Array. */
export function toFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i] as number);
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

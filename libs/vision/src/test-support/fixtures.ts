/**
 * Test helpers: locate libs/vision/test-fixtures and read the (gzip'd) safetensors references
 * stored there. Not part of the package API.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import type { RgbImage } from '../rgb-image.js';

export const FIXTURES = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));

export function fixturePath(relative: string): string {
  return FIXTURES + relative;
}

export interface StoredTensor {
  readonly dtype: string;
  readonly shape: number[];
  readonly bytes: Uint8Array;
}

export function readSafetensors(relative: string): Map<string, StoredTensor> {
  let buffer = readFileSync(fixturePath(relative));
  if (relative.endsWith('.gz')) buffer = gunzipSync(buffer);
  const length = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  const tensors = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    // Copy so that typed-array views start aligned.
    const bytes = new Uint8Array(buffer.subarray(8 + length + data_offsets[0], 8 + length + data_offsets[1]));
    tensors.set(name, { dtype, shape, bytes });
  }
  return tensors;
}

export function float32Of(t: StoredTensor): Float32Array {
  return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
}

export function int64Of(t: StoredTensor): number[] {
  return Array.from(new BigInt64Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 8), Number);
}

export function readJson(relative: string): unknown {
  return JSON.parse(readFileSync(fixturePath(relative), 'utf8'));
}

export function readBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(relative)));
}

/** Differences between two float arrays of the same length. */
export function diffStats(a: Float32Array, b: Float32Array): { maxAbs: number; meanAbs: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { maxAbs: max, meanAbs: sum / a.length };
}

/** A synthetic RGB image: pixel (x, y) = f(x, y). */
export function makeImage(
  width: number,
  height: number,
  f: (x: number, y: number) => readonly [number, number, number],
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  }
  return { width, height, data };
}

/** Encodes an RGB image with sharp (`format` one of sharp's output formats). */
export async function encode(
  image: RgbImage,
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'avif',
  options: object = {},
): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .toFormat(format, options)
    .toBuffer();
}

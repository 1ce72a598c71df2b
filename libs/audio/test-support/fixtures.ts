/**
 * Access to the committed test fixtures (test-fixtures/, see its README.md): the Whisper input WAV,
 * its feature-extractor configs and the reference features, read from a gzipped safetensors file.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const fixturePath = (relative: string): string =>
  fileURLToPath(new URL(`../test-fixtures/${relative}`, import.meta.url));

export function readFixture(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(relative)));
}

export function readJsonFixture(relative: string): unknown {
  return JSON.parse(readFileSync(fixturePath(relative), 'utf8'));
}

/** Float32 tensors of a (gzipped) safetensors fixture, by name. */
export function readReferenceTensors(relative: string): Map<string, { shape: number[]; data: Float32Array }> {
  let bytes: Buffer = readFileSync(fixturePath(relative));
  if (relative.endsWith('.gz')) bytes = gunzipSync(bytes);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry.dtype !== 'F32') throw new Error(`${relative}: ${name} is ${entry.dtype}, expected F32`);
    const [begin, end] = entry.data_offsets;
    const raw = bytes.subarray(8 + headerLength + begin, 8 + headerLength + end);
    const data = new Float32Array(raw.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = raw.readFloatLE(i * 4);
    tensors.set(name, { shape: entry.shape, data });
  }
  return tensors;
}

/**
 * The perception-tower fixtures in test-fixtures/towers (copied small from the transformers
 * reference fixtures by make-tower-fixtures.py): where they are, their (gzip'd) reference
 * tensors, the relative error measure, and running a written graph through the worker pool.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { OnnxWorkerPool, TensorData } from '@unmask/core';

export const TOWER_FIXTURES = fileURLToPath(new URL('../test-fixtures/towers/', import.meta.url));

export interface ReferenceTensor {
  readonly shape: number[];
  readonly data: Float32Array | BigInt64Array;
}

/** A safetensors file (gunzipped when it ends in .gz) as float32 / int64 tensors by name. */
export function readReference(path: string): Map<string, ReferenceTensor> {
  let buffer = readFileSync(path);
  if (path.endsWith('.gz')) buffer = gunzipSync(buffer);
  const length = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, ReferenceTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buffer.buffer.slice(
      buffer.byteOffset + 8 + length + entry.data_offsets[0],
      buffer.byteOffset + 8 + length + entry.data_offsets[1],
    );
    out.set(name, {
      shape: entry.shape,
      data: entry.dtype === 'I64' ? new BigInt64Array(bytes) : new Float32Array(bytes),
    });
  }
  return out;
}

export function floats(reference: Map<string, ReferenceTensor>, name: string): Float32Array {
  const tensor = reference.get(name);
  assert.ok(tensor && tensor.data instanceof Float32Array, `reference has no float tensor ${name}`);
  return tensor.data;
}

/** max |actual − expected| / max |expected|, and the absolute difference. */
export function relativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { relative: number; absolute: number } {
  assert.equal(actual.length, expected.length, 'lengths differ');
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return { relative: worst / scale, absolute: worst };
}

/** Runs the graph at `path` once and releases its session. */
export async function runGraph(
  pool: OnnxWorkerPool,
  path: string,
  feeds: Record<string, TensorData>,
  outputs?: string[],
): Promise<Record<string, TensorData>> {
  const session = await pool.createSession(path);
  try {
    return await session.run(feeds, outputs);
  } finally {
    await session.release();
  }
}

/** Rows `rows` of a [n, width] matrix (flattened), concatenated. */
export function pickRows(matrix: Float32Array, width: number, rows: ArrayLike<number | bigint>): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = Number(rows[i]!);
    out.set(matrix.subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}

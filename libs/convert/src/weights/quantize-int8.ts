/**
 * Weight-only int8: symmetric quantisation with one scale per row of a checkpoint matrix. For a
 * projection weight in the checkpoint's [out, in] layout a row is an output channel; for the
 * embedding table a row is a token. `w ≈ q · scale`, `scale = max|row| / 127`, q in [−127, 127].
 *
 * The quantised matrix streams: its bytes are produced row by row from the checkpoint's chunks,
 * and the scales (one float per row) are kept from that pass until they are written, or computed
 * by a pass of their own when the scales are written first.
 */
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import type { InitializerSource } from '../onnx/onnx-graph-builder.js';
import { ByteBatcher, forEachRow, matrixShape } from './weight-rows.js';

export const INT8_MAX = 127;

/** The scale of a row: max |w| / 127 (1 for an all-zero row, so that q = 0 decodes to 0). */
export function int8RowScale(row: Float32Array): number {
  let max = 0;
  for (let i = 0; i < row.length; i++) max = Math.max(max, Math.abs(row[i]!));
  return max === 0 ? 1 : max / INT8_MAX;
}

/** Quantises `row` into `out` (same length) with `scale`. */
export function quantizeRowInt8(row: Float32Array, scale: number, out: Int8Array): void {
  const inverse = 1 / scale;
  for (let i = 0; i < row.length; i++) out[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(row[i]! * inverse)));
}

export interface Int8Matrix {
  /** INT8 [rows, rowLength]. */
  readonly weight: InitializerSource;
  /** FLOAT [rows]. */
  readonly scales: InitializerSource;
}

/** The checkpoint matrix `name` as per-row int8 plus its per-row scales, both streamed. */
export function int8RowQuantized(checkpoint: CheckpointTensors, name: string): Int8Matrix {
  const { rows, rowLength } = matrixShape(checkpoint, name);
  let scales: Float32Array | undefined;
  const computeScales = (): Float32Array => {
    if (scales) return scales;
    const found = new Float32Array(rows);
    forEachRow(checkpoint, name, rowLength, (row, r) => {
      found[r] = int8RowScale(row);
    });
    return (scales = found);
  };
  return {
    weight: {
      dataType: 'INT8',
      dims: [rows, rowLength],
      byteLength: rows * rowLength,
      produce: (write) => {
        const found = new Float32Array(rows);
        const batcher = new ByteBatcher(write);
        forEachRow(checkpoint, name, rowLength, (row, r) => {
          const scale = int8RowScale(row);
          found[r] = scale;
          const bytes = batcher.reserve(rowLength);
          quantizeRowInt8(row, scale, new Int8Array(bytes.buffer, bytes.byteOffset, rowLength));
        });
        batcher.flush();
        scales = found;
      },
    },
    scales: {
      dataType: 'FLOAT',
      dims: [rows],
      byteLength: rows * 4,
      produce: (write) => {
        const values = computeScales();
        scales = undefined; // written: not kept for the rest of the graph
        write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      },
    },
  };
}

/**
 * Row-wise streaming of a checkpoint matrix, for the weight formats that quantise per row or per
 * block of a row: the tensor's float32 chunks are regrouped into whole rows (a row straddling
 * two chunks is copied into one buffer), and the bytes a quantiser produces are gathered into
 * large writes. Memory stays at one checkpoint chunk, one row and one output buffer.
 */
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';

/** Calls `onRow(row, index)` for each row of the [rows, rowLength] tensor `name`, in order. */
export function forEachRow(
  checkpoint: CheckpointTensors,
  name: string,
  rowLength: number,
  onRow: (row: Float32Array, index: number) => void,
): void {
  const pending = new Float32Array(rowLength);
  let filled = 0;
  let index = 0;
  checkpoint.readFloat32Chunks(name, (chunk) => {
    let offset = 0;
    if (filled > 0) {
      const take = Math.min(rowLength - filled, chunk.length);
      pending.set(chunk.subarray(0, take), filled);
      filled += take;
      offset = take;
      if (filled < rowLength) return;
      onRow(pending, index++);
      filled = 0;
    }
    while (offset + rowLength <= chunk.length) {
      onRow(chunk.subarray(offset, offset + rowLength), index++);
      offset += rowLength;
    }
    if (offset < chunk.length) {
      pending.set(chunk.subarray(offset), 0);
      filled = chunk.length - offset;
    }
  });
  if (filled > 0)
    throw new Error(`tensor ${name}: its ${rowLength}-element rows do not divide it (${filled} elements left over)`);
}

/** Rows and row length of a 2-D checkpoint tensor. */
export function matrixShape(checkpoint: CheckpointTensors, name: string): { rows: number; rowLength: number } {
  const shape = checkpoint.get(name).shape;
  if (shape.length !== 2) throw new Error(`tensor ${name}: expected a matrix, got shape [${shape.join(', ')}]`);
  return { rows: shape[0]!, rowLength: shape[1]! };
}

/** Collects small byte arrays into writes of about `size` bytes (for synchronous writers). */
export class ByteBatcher {
  private readonly buffer: Uint8Array;
  private used = 0;

  constructor(
    private readonly write: (chunk: Uint8Array) => void,
    size = 4 * 1024 * 1024,
  ) {
    this.buffer = new Uint8Array(size);
  }

  /** Space for `length` bytes, to be filled by the caller before the next call. */
  reserve(length: number): Uint8Array {
    if (length > this.buffer.length)
      throw new Error(`ByteBatcher: ${length} bytes do not fit its ${this.buffer.length}-byte buffer`);
    if (this.used + length > this.buffer.length) this.flush();
    const view = this.buffer.subarray(this.used, this.used + length);
    this.used += length;
    return view;
  }

  flush(): void {
    if (this.used === 0) return;
    this.write(this.buffer.subarray(0, this.used)); // the writer consumes it synchronously
    this.used = 0;
  }
}

/**
 * Block-wise quantisation for onnxruntime's contrib operator `MatMulNBits` (domain
 * com.microsoft): `Y = A · dequant(B)ᵀ`, B an [N, K] weight (the checkpoint's [out, in] layout,
 * so no transpose), quantised along K in blocks of `block_size` values.
 *
 * Layouts (from onnxruntime's operator documentation): B is UINT8 [N, ceil(K / block_size),
 * block_size · bits / 8], codes packed low bits first (for 4 bits, element 2j in the low nibble
 * of byte j, element 2j + 1 in the high nibble); scales are float [N, ceil(K / block_size)];
 * without a zero_points input the zero point is 2^(bits−1) (8 for 4 bits, 128 for 8 bits), so
 * `w = (code − zero) · scale`. A short last block is padded with zeros.
 *
 * Symmetric, with the sign trick of the common 4-bit formats: the value of largest magnitude
 * maps exactly to the most negative code (−8 for 4 bits), scale = that value / −2^(bits−1), so
 * the whole code range is used. Streams row by row; scales are kept from the weight's pass until
 * they are written (or computed by a pass of their own when they are written first).
 */
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import type { InitializerSource } from '../onnx/onnx-graph-builder.js';
import { ByteBatcher, forEachRow, matrixShape } from './weight-rows.js';

export type NBits = 4 | 8;
/** The block size of `--weights int4`. */
export const INT4_BLOCK_SIZE = 32;

export interface NBitsLayout {
  readonly n: number;
  readonly k: number;
  readonly bits: NBits;
  readonly blockSize: number;
  readonly blocks: number;
  /** Bytes per block. */
  readonly blobSize: number;
}

export function nbitsLayout(n: number, k: number, bits: NBits, blockSize: number): NBitsLayout {
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new Error(`MatMulNBits block size ${blockSize} must be a power of two, at least 16`);
  return { n, k, bits, blockSize, blocks: Math.ceil(k / blockSize), blobSize: (blockSize * bits) / 8 };
}

/** Quantises one row of K values into `out` (blocks · blobSize bytes) and `scales` (blocks floats). */
export function quantizeRowNBits(row: Float32Array, layout: NBitsLayout, out: Uint8Array, scales: Float32Array): void {
  const { bits, blockSize, blocks, blobSize } = layout;
  const zero = 1 << (bits - 1);
  const top = (1 << bits) - 1;
  out.fill(0);
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize;
    const end = Math.min(start + blockSize, row.length);
    let extreme = 0;
    for (let i = start; i < end; i++) if (Math.abs(row[i]!) > Math.abs(extreme)) extreme = row[i]!;
    const scale = extreme === 0 ? 1 : extreme / -zero;
    scales[b] = scale;
    const inverse = 1 / scale;
    const blob = b * blobSize;
    for (let i = 0; i < blockSize; i++) {
      const value = start + i < end ? row[start + i]! : 0;
      const code = Math.max(0, Math.min(top, Math.round(value * inverse) + zero));
      if (bits === 8) out[blob + i] = code;
      else out[blob + (i >> 1)]! |= (i & 1) === 0 ? code : code << 4;
    }
  }
}

/** The inverse of quantizeRowNBits (for tests and error measurements). */
export function dequantizeRowNBits(codes: Uint8Array, scales: Float32Array, layout: NBitsLayout): Float32Array {
  const { bits, blockSize, blobSize, k } = layout;
  const zero = 1 << (bits - 1);
  const row = new Float32Array(k);
  for (let i = 0; i < k; i++) {
    const b = Math.floor(i / blockSize);
    const j = i % blockSize;
    const byte = codes[b * blobSize + (bits === 8 ? j : j >> 1)]!;
    const code = bits === 8 ? byte : (j & 1) === 0 ? byte & 0x0f : byte >> 4;
    row[i] = (code - zero) * scales[b]!;
  }
  return row;
}

export interface NBitsMatrix {
  readonly layout: NBitsLayout;
  /** UINT8 [N, blocks, blobSize]. */
  readonly weight: InitializerSource;
  /** FLOAT [N, blocks]. */
  readonly scales: InitializerSource;
}

/**
 * The block for rows of K values: the largest of `blockSize`, `blockSize` / 2, … down to 32 that
 * divides K, so a row is not padded (a hidden size of 64 gets blocks of 64, an MLP of 160 blocks
 * of 32); where none does, the smallest of them (the least padding).
 */
export function fittedBlockSize(k: number, blockSize: number): number {
  const smallest = Math.min(32, blockSize);
  for (let block = blockSize; block >= smallest; block /= 2) if (k % block === 0) return block;
  return smallest;
}

/**
 * The checkpoint matrix `name` ([N, K]) quantised for MatMulNBits in blocks of
 * `fittedBlockSize(K, blockSize)`, streamed.
 */
export function nbitsQuantized(
  checkpoint: CheckpointTensors,
  name: string,
  bits: NBits,
  blockSize: number,
): NBitsMatrix {
  const { rows, rowLength } = matrixShape(checkpoint, name);
  const layout = nbitsLayout(rows, rowLength, bits, fittedBlockSize(rowLength, blockSize));
  const rowBytes = layout.blocks * layout.blobSize;
  let scales: Float32Array | undefined;
  const pass = (batcher?: ByteBatcher): Float32Array => {
    const found = new Float32Array(rows * layout.blocks);
    const scratch = new Uint8Array(rowBytes);
    forEachRow(checkpoint, name, rowLength, (row, r) => {
      const out = batcher ? batcher.reserve(rowBytes) : scratch;
      quantizeRowNBits(row, layout, out, found.subarray(r * layout.blocks, (r + 1) * layout.blocks));
    });
    batcher?.flush();
    return found;
  };
  return {
    layout,
    weight: {
      dataType: 'UINT8',
      dims: [rows, layout.blocks, layout.blobSize],
      byteLength: rows * rowBytes,
      produce: (write) => {
        scales = pass(new ByteBatcher(write));
      },
    },
    scales: {
      dataType: 'FLOAT',
      dims: [rows, layout.blocks],
      byteLength: rows * layout.blocks * 4,
      produce: (write) => {
        const values = scales ?? pass();
        scales = undefined; // written: the graph writer may hold many tensors' sources, not their scales
        write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      },
    },
  };
}

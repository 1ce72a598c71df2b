/**
 * The weight formats of `unmask convert --weights` and how each stores the LM's matrices
 * (docs/convert.md, "Weight formats", has the measurements behind these choices):
 *
 * - fp32: float32 initializers, `Gemm` (transB) on the checkpoint's [out, in] layout.
 * - fp16: float16 initializers, each `Cast` to float32 in the graph (float32 inputs and
 *   outputs, as the LM graph contract requires).
 * - int8: projections and head as 8-bit blocks (of `NBITS_BLOCK_SIZE` along K) for
 *   `MatMulNBits`; the embedding table as per-row int8 with one scale per token.
 * - int4: projections as 4-bit blocks for `MatMulNBits`; the head as in int8 (8-bit blocks);
 *   the embedding table as in int8.
 *
 * Norm weights and biases stay float32 in every format.
 */
export const WEIGHT_FORMATS = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type WeightFormat = (typeof WEIGHT_FORMATS)[number];

/** onnxruntime's MatMulNBits `accuracy_level`: 4 computes with int8 activations per block. */
export const NBITS_ACCURACY_LEVEL = 4;
/**
 * Block size along K of the LM's MatMulNBits weights (`unmask convert --block-size`). onnxruntime
 * prepacks each weight at load into its own layout (the codes plus a float scale and a float block
 * sum per block, in anonymous memory) and keeps the file's scales mapped, so a bundle is resident
 * at (code bytes + 12) ÷ (code bytes + 4) of its weights' file size per block: blocks of 32 hold
 * 1.22× (8-bit) and 1.40× (4-bit), blocks of 128 1.06× and 1.12×, and forwards were no slower
 * (docs/convert.md, "Block size and resident memory").
 */
export const NBITS_BLOCK_SIZE = 128;
/** The block sizes `--block-size` accepts (MatMulNBits' int8 kernels exist for these). */
export const NBITS_BLOCK_SIZES = [32, 64, 128] as const;
export type NBitsBlockSize = (typeof NBITS_BLOCK_SIZES)[number];
/** Perception towers' projections keep blocks of 32: their tolerances were measured with them. */
export const TOWER_NBITS_BLOCK_SIZE = 32;

/**
 * The weight formats of `unmask convert --weights` and how each stores the LM's matrices
 * (docs/convert.md, "Weight formats", has the measurements behind these choices):
 *
 * - fp32: float32 initializers, `Gemm` (transB) on the checkpoint's [out, in] layout.
 * - fp16: float16 initializers, each `Cast` to float32 in the graph (float32 inputs and
 *   outputs, as the LM graph contract requires).
 * - int8: projections and head as 8-bit blocks of 32 for `MatMulNBits`; the embedding table as
 *   per-row int8 with one scale per token.
 * - int4: projections as 4-bit blocks of 32 for `MatMulNBits`; the head as in int8 (8-bit
 *   blocks); the embedding table as in int8.
 *
 * Norm weights and biases stay float32 in every format.
 */
export const WEIGHT_FORMATS = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type WeightFormat = (typeof WEIGHT_FORMATS)[number];

/** onnxruntime's MatMulNBits `accuracy_level`: 4 computes with int8 activations per block. */
export const NBITS_ACCURACY_LEVEL = 4;
/** Block size along K of every MatMulNBits weight. */
export const NBITS_BLOCK_SIZE = 32;

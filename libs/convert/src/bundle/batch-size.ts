/**
 * The rows per forward pass a converted bundle declares (`lm.max_batch_size`; the API's
 * `MAX_BATCH_SIZE` and `Unmask`'s batch default to it). Chosen from the 1-vs-8-rows measurements
 * (docs/bench/real-width.md, "Batching: 1 row against 8"):
 *
 * - int8 / int4: 1. MatMulNBits quantises the activations and multiplies in int8, so a pass costs
 *   per row: at LLaDA-8B width 8 rows gave 0.91× (int8) and 0.81× (int4) the rows per second of
 *   one row at 64 positions, 1.33× / 1.27× only at 16.
 * - fp32 / fp16 (computed in fp32) with at least `BATCHING_PARAMETERS` matrix parameters: 8.
 *   At LLaDA-8B width 8 rows gave 1.73× the rows per second at 16 positions, 1.33× at 64.
 * - smaller fp32 / fp16 models: 1. On the 0.9 M-parameter default model a pass of 8 rows cost
 *   7.2× one row, and batched serving reached 0.65× the requests per second of one at a time.
 *
 * Sizes between 0.9 M and 1.47 B matrix parameters were not measured; the threshold is a choice
 * between them (float32 weights of 256 MiB, far beyond a core's caches).
 *
 * Confirmed at two threads on an idle machine (LLaDA and Dream width, 2026-12-04): 8 rows of
 * int8 / int4 0.75–0.84× the rows per second at 64 positions, fp32 1.03–1.59×.
 */
import type { LmArchitecture } from '../lm/checkpoint-config.js';
import type { WeightFormat } from '../weights/weight-format.js';

/** Matrix parameters (layers + head) from which an fp32 / fp16 bundle batches 8 rows per pass. */
export const BATCHING_PARAMETERS = 64 * 2 ** 20;

/** Parameters of the LM's matrices: the layers' projections and the head (the embedding is a lookup). */
export function matrixParameters(arch: LmArchitecture): number {
  const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize, numLayers, vocabSize } = arch;
  const attention = h * numHeads * headDim * 2 + h * numKvHeads * headDim * 2;
  const mlp = 3 * h * intermediateSize;
  return numLayers * (attention + mlp) + vocabSize * h;
}

export function maxBatchSizeFor(weights: WeightFormat, arch: LmArchitecture): number {
  if (weights === 'int8' || weights === 'int4') return 1;
  return matrixParameters(arch) >= BATCHING_PARAMETERS ? 8 : 1;
}

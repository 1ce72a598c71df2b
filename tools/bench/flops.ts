/**
 * Floating-point operations of one LM forward pass, from the manifest sizes and the weight
 * matrices of lm.onnx (which give the MLP width, absent from the manifest). For a row with S
 * segment positions, P cached positions (T = P + S keys) and n requested logits:
 *
 *   FLOPs = 2·S·W + 4·L·S·T·A·D + 2·n·H·V
 *
 * W: the multiply-accumulates per position of every weight matrix in the layers
 * (= L·(H·(A + 2K)·D + A·D·H + 3·H·I) for the Llama layout with MLP width I); 4·S·T·A·D per
 * layer is the attention scores and the weighted sum (A query heads of size D); the LM head
 * runs only on the n requested positions. Norms, rotary, softmax and embedding lookups are
 * left out (they are O(S·H), not O(S·H²)).
 */
import type { ManifestSizes } from '@unmask/core';
import { matmulWeights } from './onnx-weights.js';

export interface LmCost {
  /** Per-position multiply-accumulates of the layers' weight matrices. */
  readonly layerWeights: number;
  /** MLP width inferred from W and the manifest sizes (Llama layout), for the report. */
  readonly intermediateSize: number;
  readonly sizes: ManifestSizes;
  /** FLOPs of one row of a pass. */
  flops(segment: number, past: number, logits: number): number;
}

export function lmCost(lmGraph: string, sizes: ManifestSizes): LmCost {
  const weights = matmulWeights(lmGraph);
  const V = sizes.vocab_size;
  // The LM head is the last weight (in graph order) with a vocabulary-sized axis.
  let head = -1;
  weights.forEach((w, i) => {
    if (w.dims.includes(V)) head = i;
  });
  if (head < 0) throw new Error(`${lmGraph}: no MatMul weight has the vocabulary size ${V}; cannot find the LM head`);
  const layerWeights = weights.reduce((s, w, i) => (i === head ? s : s + w.dims[0]! * w.dims[1]!), 0);
  const H = sizes.hidden_size;
  const A = sizes.num_attention_heads;
  const K = sizes.num_key_value_heads;
  const D = sizes.head_dim;
  const L = sizes.num_layers;
  const attention = H * (A + 2 * K) * D + A * D * H;
  const intermediateSize = (layerWeights / L - attention) / (3 * H);
  return {
    layerWeights,
    intermediateSize,
    sizes,
    flops: (segment, past, logits) =>
      2 * segment * layerWeights + 4 * L * segment * (past + segment) * A * D + 2 * logits * H * V,
  };
}

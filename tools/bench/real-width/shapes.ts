/**
 * The two model families the real-width benchmark measures, at their published widths
 * (config.json of GSAI-ML/LLaDA-8B-Instruct and Dream-org/Dream-v0-Instruct-7B) with a reduced
 * number of layers, and the arithmetic of one forward pass over them.
 */

import type { CheckpointShape, Family } from '@unmask/convert/synthetic-checkpoint';

export type { Family };
export const FAMILIES: readonly Family[] = ['llada', 'dream'];

/** A family's widths (what its synthetic checkpoint is written with) and what the reports say of it. */
export interface FamilyShape extends CheckpointShape {
  /** The model whose widths these are, for reports. */
  readonly model: string;
  /** Layers of the published model (the benchmark keeps fewer; figures scale per layer). */
  readonly fullLayers: number;
  /** q/k/v projections carry biases (Qwen2 layout). */
  readonly qkvBias: boolean;
}

export const SHAPES: Readonly<Record<Family, FamilyShape>> = {
  llada: {
    family: 'llada',
    model: 'LLaDA-8B-Instruct',
    fullLayers: 32,
    hidden: 4096,
    heads: 32,
    kvHeads: 32,
    headDim: 128,
    mlp: 12288,
    vocab: 126464,
    qkvBias: false,
    ropeTheta: 500000,
    rmsNormEps: 1e-5,
    maxPositions: 4096,
    maskTokenId: 126336,
    eosTokenId: 126081,
  },
  dream: {
    family: 'dream',
    model: 'Dream-v0-Instruct-7B',
    fullLayers: 28,
    hidden: 3584,
    heads: 28,
    kvHeads: 4,
    headDim: 128,
    mlp: 18944,
    vocab: 152064,
    qkvBias: true,
    ropeTheta: 1000000,
    rmsNormEps: 1e-6,
    maxPositions: 131072,
    maskTokenId: 151666,
    eosTokenId: 151643,
  },
};

/** Multiply-accumulates per position of one layer's weight matrices (q, k, v, o, gate, up, down). */
export function layerWeights(s: FamilyShape): number {
  const q = s.hidden * s.heads * s.headDim;
  const kv = 2 * s.hidden * s.kvHeads * s.headDim;
  const o = s.heads * s.headDim * s.hidden;
  return q + kv + o + 3 * s.hidden * s.mlp;
}

/** Parameters of a checkpoint with `layers` layers (embedding and head untied, norms and biases included). */
export function parameters(s: FamilyShape, layers: number): number {
  const bias = s.qkvBias ? (s.heads + 2 * s.kvHeads) * s.headDim : 0;
  const perLayer = layerWeights(s) + 2 * s.hidden + bias;
  return layers * perLayer + 2 * s.vocab * s.hidden + s.hidden;
}

/** Per-position multiply-accumulates of the q, k, v projections (what every position needs for the keys/values). */
export function qkvWeights(s: FamilyShape): number {
  return s.hidden * (s.heads + 2 * s.kvHeads) * s.headDim;
}

/**
 * FLOPs of one forward over `positions` positions (no cache) with `logits` logit rows, as both
 * unmask's LM graph and llama.cpp compute it: every layer runs q/k/v and the attention (4·S²·A·D:
 * scores and weighted sum) on all S positions; the output projection and MLP run on all S in
 * every layer but the last, which runs them on the n logit rows only; the head runs on those n
 * rows. Norms, rotary, softmax and the embedding lookup are O(S·H) and left out.
 */
export function forwardFlops(s: FamilyShape, layers: number, positions: number, logits: number): number {
  const n = Math.min(logits, positions);
  const rest = layerWeights(s) - qkvWeights(s);
  const attention = 4 * positions * positions * s.heads * s.headDim;
  const allRows = 2 * positions * qkvWeights(s) + attention;
  return layers * allRows + 2 * rest * ((layers - 1) * positions + n) + 2 * n * s.hidden * s.vocab;
}

/** The same forward's FLOPs in one full layer (what scales with depth). */
export function layerFlops(s: FamilyShape, positions: number): number {
  return 2 * positions * layerWeights(s) + 4 * positions * positions * s.heads * s.headDim;
}

/** A tiny stand-in of a family's layout (same tensors, small widths), for smoke runs and tests. */
export function tinyShape(family: Family): FamilyShape {
  const s = SHAPES[family];
  return {
    ...s,
    model: `${s.model} layout, tiny`,
    hidden: 256,
    heads: 4,
    kvHeads: family === 'dream' ? 2 : 4,
    headDim: 64,
    mlp: 512,
    vocab: 1024,
    maskTokenId: 1000,
    eosTokenId: 999,
  };
}

/**
 * The transformer layers of the LM graph (lm-graph.ts) in onnxruntime's contrib operators, the
 * `--ops contrib` form. Same maths and the same graph inputs/outputs (docs/lm-graph-contract.md)
 * as the standard form; only the nodes differ:
 *
 * - RMSNorm: `SimplifiedLayerNormalization` (registered by onnxruntime in the default domain) for
 *   the first norm, `com.microsoft.SkipSimplifiedLayerNormalization` for every later one, which
 *   adds the residual branch and normalises in one kernel (its 4th output is the residual sum).
 * - Rotary: `com.microsoft.RotaryEmbedding` on the [batch, seq, heads · D] projections, rotate-half
 *   form (`interleaved` 0), with `position_ids` indexing cos/sin tables computed in the graph for
 *   positions 0..max(position_ids) (no table sized by the model's context is stored).
 * - Attention: `com.microsoft.MultiHeadAttention`, bidirectional, with key padding as an additive
 *   `attention_bias` [batch, 1, seq, total]. The contract's cache is [batch, K, past, D] rotated
 *   keys; MHA's own past inputs assume one cache per query head, so the graph concatenates past and
 *   segment itself (that concatenation is `present.{i}.*`) and feeds MHA the full keys/values in
 *   its [batch, heads, total, D] form, with grouped key/value heads repeated to the query heads.
 */
import type { LmArchitecture } from './checkpoint-config.js';
import type { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import type { LayerTensorNames } from './tensor-layout.js';

/** Which operators the LM graph's layers are written in. */
export const LM_OPS = ['standard', 'contrib'] as const;
export type LmOps = (typeof LM_OPS)[number];
/**
 * The default: on LLaDA-8B-width layers (bench/lm-speed.ts, docs/convert.md "Operator sets") the
 * contrib form was faster in 14 of 18 side-by-side cases (median 1.5 %) and peaked 0.4 GiB lower
 * at 1024 positions.
 */
export const DEFAULT_LM_OPS: LmOps = 'contrib';

const MS = 'com.microsoft';
const LOWEST_FLOAT32 = -3.4028234663852886e38;

export interface ContribLayerInputs {
  /** The graph inputs. */
  readonly embeds: string;
  readonly attentionMask: string;
  readonly positionIds: string;
  /** The embeddings flattened to [batch · seq, H]. */
  readonly hidden: string;
  readonly layers: readonly LayerTensorNames[];
  /** `x · Wᵀ (+ b)` in the bundle's weight format. */
  readonly linear: (x: string, weight: string, bias?: string) => string;
  /** A float32 checkpoint tensor as an initializer. */
  readonly weight: (name: string) => string;
  /**
   * A rotary of its own on [batch, heads, seq, D]: lm-graph.ts passes its M-RoPE rotary (sections
   * of the frequencies turned by [3, batch, seq] position ids), which RotaryEmbedding cannot
   * express. When given it replaces RotaryEmbedding; the rest stays contrib.
   */
  readonly rotate?: (heads: string) => string;
  /** [batch · seq, width] → the rows at logits_indices, [batch · n, width]. */
  readonly gatherRows: (x2d: string, width: number) => string;
}

/**
 * All layers; returns the residual stream after the last one at the logit rows, [batch · n, H]
 * (not normalised): the last layer's output projection and MLP run on those rows only.
 */
export function contribLayers(g: OnnxGraphBuilder, arch: LmArchitecture, inputs: ContribLayerInputs): string {
  const { numHeads, numKvHeads: K, headDim: D } = arch;
  const rep = numHeads / K;
  const { embeds, attentionMask, positionIds, linear, weight } = inputs;
  const epsilon = { float: arch.rmsNormEps };

  const batchSeq = g.op('Shape', [embeds], { start: 0, end: 2 });
  const seq = g.op('Shape', [embeds], { start: 1, end: 2 });
  const flat = (name: string, dims: number[]) =>
    g.op('Concat', [batchSeq, g.int64s(`contrib_${name}`, dims)], { axis: 0 });
  const qRows = flat('q_rows', [numHeads * D]);
  const kvRows = flat('kv_rows', [K * D]);
  const kvHeads = flat('kv_heads', [K, D]);
  const qHeads = flat('q_heads', [numHeads, D]);
  const flatHeads = g.int64s('contrib_flat_heads', [-1, numHeads * D]);

  // cos/sin tables for positions 0..max(position_ids): [P, D/2] (only when RotaryEmbedding is used).
  let caches: [string, string] | undefined;
  const rotaryCaches = (): [string, string] => {
    if (caches) return caches;
    const invFreq = Float32Array.from({ length: D / 2 }, (_, j) => 1 / arch.ropeTheta ** ((2 * j) / D));
    const count = g.op('Add', [g.op('ReduceMax', [positionIds], { keepdims: 0 }), g.int64s('contrib_one', [1], [])]);
    const table = g.op('Range', [g.int64s('contrib_zero', [0], []), count, g.int64s('contrib_step', [1], [])]);
    const angles = g.op('Mul', [
      g.op('Unsqueeze', [g.op('Cast', [table], { to: 1 }), g.int64s('contrib_axis_one', [1])]),
      g.floats('contrib_inv_freq', invFreq),
    ]);
    caches = [g.op('Cos', [angles]), g.op('Sin', [angles])];
    return caches;
  };
  const toHeads = (x2d: string, shape: string) =>
    g.op('Transpose', [g.op('Reshape', [x2d, shape])], { perm: [0, 2, 1, 3] });
  /** [batch · seq, n · D] → rotated [batch, seq, n · D]. */
  const rotary = (x2d: string, heads: number, rows: string, headsShape: string) => {
    if (inputs.rotate) {
      const rotated = inputs.rotate(toHeads(x2d, headsShape));
      return g.op('Reshape', [g.op('Transpose', [rotated], { perm: [0, 2, 1, 3] }), rows]);
    }
    const [cos, sin] = rotaryCaches();
    return g.domainOp(MS, 1, 'RotaryEmbedding', [g.op('Reshape', [x2d, rows]), positionIds, cos, sin], {
      interleaved: 0,
      num_heads: heads,
    });
  };

  // Key padding as an additive bias [batch, 1, seq, total].
  const masked = g.op('Equal', [attentionMask, g.int64s('contrib_zero_mask', [0], [])]);
  const keyBias = g.op('Where', [
    masked,
    g.floats('contrib_lowest', [LOWEST_FLOAT32], []),
    g.floats('contrib_zero_bias', [0], []),
  ]);
  const biasShape = g.op('Concat', [g.int64s('contrib_bias_lead', [1, 1]), seq, g.int64s('contrib_bias_tail', [1])], {
    axis: 0,
  });
  const attentionBias = g.op('Expand', [
    g.op('Unsqueeze', [keyBias, g.int64s('contrib_bias_axes', [1, 2])]),
    biasShape,
  ]);
  const repeat = g.int64s('contrib_repeat', [1, 1, rep, 1, 1]);
  const allHeads = g.int64s('contrib_all_heads', [0, numHeads, -1, D]);
  const axisGroup = g.int64s('contrib_axis_group', [2]);
  /** [batch, K, total, D] → [batch, heads, total, D], each key/value head repeated for its query heads. */
  const perQueryHead = (x: string) =>
    rep === 1 ? x : g.op('Reshape', [g.op('Expand', [g.op('Unsqueeze', [x, axisGroup]), repeat]), allHeads]);

  const skipNorm = (x: string, skip: string, weightName: string) => {
    const [normed, , , sum] = g.domainNode(
      MS,
      1,
      'SkipSimplifiedLayerNormalization',
      [x, skip, weight(weightName)],
      { epsilon },
      [true, false, false, true],
    );
    return { normed: normed!, sum: sum! };
  };

  let hidden = inputs.hidden;
  let pending: string | undefined;
  inputs.layers.forEach((layer, i) => {
    let normed: string;
    if (pending === undefined) {
      normed = g.op('SimplifiedLayerNormalization', [hidden, weight(layer.attnNorm)], { axis: -1, epsilon });
    } else {
      ({ normed, sum: hidden } = skipNorm(hidden, pending, layer.attnNorm));
    }
    const q = rotary(linear(normed, layer.q, layer.qBias), numHeads, qRows, qHeads);
    const k = rotary(linear(normed, layer.k, layer.kBias), K, kvRows, kvHeads);
    const kHeads = toHeads(k, kvHeads);
    const vHeads = toHeads(linear(normed, layer.v, layer.vBias), kvHeads);
    const keys = g.op('Concat', [`past_key_values.${i}.key`, kHeads], { axis: 2 }, `present.${i}.key`);
    const values = g.op('Concat', [`past_key_values.${i}.value`, vHeads], { axis: 2 }, `present.${i}.value`);
    g.output(keys, 'FLOAT', ['batch', K, 'total', D]);
    g.output(values, 'FLOAT', ['batch', K, 'total', D]);
    const context = g.domainOp(
      MS,
      1,
      'MultiHeadAttention',
      [q, perQueryHead(keys), perQueryHead(values), '', '', attentionBias],
      { num_heads: numHeads },
    );
    const last = i === inputs.layers.length - 1;
    const context2d = g.op('Reshape', [context, flatHeads]);
    const attnOut = linear(last ? inputs.gatherRows(context2d, numHeads * D) : context2d, layer.o);

    const mlp = skipNorm(last ? inputs.gatherRows(hidden, arch.hiddenSize) : hidden, attnOut, layer.ffnNorm);
    hidden = mlp.sum;
    const gate = linear(mlp.normed, layer.gate);
    const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), linear(mlp.normed, layer.up)]);
    pending = linear(activated, layer.down);
  });
  return pending === undefined ? hidden : g.op('Add', [hidden, pending]);
}

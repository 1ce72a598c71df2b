/**
 * The two graphs of the LM graph contract (docs/lm-graph-contract.md, `unmask-lm/1`) for the
 * RMSNorm / rotary / SwiGLU transformer family (LLaDA, bidirectional Llama, Qwen2 / Dream),
 * in standard ONNX operators (opset 17) or, for the layers, onnxruntime's contrib operators
 * (`ops`, lm-contrib-layers.ts; the default), float32 inputs and outputs; the projections' weights in
 * the chosen format (weight-writer.ts: Gemm on float32 or float16, or MatMulNBits):
 *
 * - embed.onnx: `Gather(embedding, input_ids)`.
 * - lm.onnx: per layer, RMSNorm → q/k/v projections (Gemm with transB, optional q/k/v biases)
 *   → rotary (rotate-half form, θ from the config) → keys/values appended to the past →
 *   full bidirectional attention over all keys whose `attention_mask` is 1 (grouped-query heads
 *   broadcast, no causal mask) → output projection → residual; RMSNorm → SwiGLU MLP → residual.
 *   The last layer's attention output and residual are gathered at `logits_indices` before its
 *   output projection, so its MLP, the final norm and the head run on the logit rows only.
 *
 * Projection weights stay in the checkpoint's [out, in] layout (Gemm transB = 1), so tensors
 * stream from the checkpoint into the graph file without being transposed in memory. RMSNorm is
 * written as Pow → ReduceMean → Add → Sqrt → Div → Mul and SiLU as x·sigmoid(x): the patterns
 * onnxruntime's optimizer fuses into SimplifiedLayerNormalization and QuickGelu at load.
 */
import type { LmArchitecture } from './checkpoint-config.js';
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { contribLayers, DEFAULT_LM_OPS, type LmOps } from './lm-contrib-layers.js';
import { mropeAngles } from './mrope-rotary.js';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { tensorNames } from './tensor-layout.js';
import { NBITS_BLOCK_SIZE, type WeightFormat } from '../weights/weight-format.js';
import { weightWriter } from '../weights/weight-writer.js';

/** The most negative float32: what a masked key gets before the softmax. */
const LOWEST_FLOAT32 = -3.4028234663852886e38;

export function buildEmbedGraph(
  arch: LmArchitecture,
  checkpoint: CheckpointTensors,
  format: WeightFormat = 'fp32',
): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('embed');
  const ids = g.input('input_ids', 'INT64', ['batch', 'seq']);
  const embeds = weightWriter(format, g, checkpoint).gather(
    tensorNames(arch).embed,
    ids,
    'embed_tokens',
    'inputs_embeds',
  );
  g.output(embeds, 'FLOAT', ['batch', 'seq', arch.hiddenSize]);
  return g;
}

/**
 * `ops`: the layers in standard operators, or in onnxruntime's contrib operators (lm-contrib-layers.ts);
 * `blockSize`: MatMulNBits' block along K for int8 / int4 (weight-format.ts).
 */
export function buildLmGraph(
  arch: LmArchitecture,
  checkpoint: CheckpointTensors,
  format: WeightFormat = 'fp32',
  ops: LmOps = DEFAULT_LM_OPS,
  blockSize: number = NBITS_BLOCK_SIZE,
): OnnxGraphBuilder {
  const { hiddenSize: H, numHeads, numKvHeads: K, headDim: D, vocabSize: V, numLayers } = arch;
  const rep = numHeads / K;
  const names = tensorNames(arch);
  const g = new OnnxGraphBuilder('lm');
  const weight = (name: string) => g.initializer(name, checkpoint.float32Source(name));
  const weights = weightWriter(format, g, checkpoint, blockSize);

  const embeds = g.input('inputs_embeds', 'FLOAT', ['batch', 'seq', H]);
  const attentionMask = g.input('attention_mask', 'INT64', ['batch', 'total']);
  const positionIds = g.input('position_ids', 'INT64', arch.mropeSections ? [3, 'batch', 'seq'] : ['batch', 'seq']);
  const logitsIndices = g.input('logits_indices', 'INT64', ['batch', 'n']);
  for (let i = 0; i < numLayers; i++) {
    g.input(`past_key_values.${i}.key`, 'FLOAT', ['batch', K, 'past', D]);
    g.input(`past_key_values.${i}.value`, 'FLOAT', ['batch', K, 'past', D]);
  }

  // Shared constants.
  const epsilon = g.floats('rms_eps', [arch.rmsNormEps], []);
  const two = g.floats('two', [2], []);
  const flatHidden = g.int64s('shape_flat_hidden', [-1, H]);

  // Rotary tables from position_ids: angle = position · θ^(−2j/D), duplicated over both halves.
  // Built on first use: by the standard layers, and by the contrib layers only for M-RoPE.
  let tables:
    | { cos: string; sin: string; halfStart: string; halfMid: string; halfEnd: string; axisDim: string }
    | undefined;
  const rotaryTables = () => {
    if (tables) return tables;
    const invFreq = Float32Array.from({ length: D / 2 }, (_, j) => 1 / arch.ropeTheta ** ((2 * j) / D));
    // M-RoPE (Dimple): position_ids [3, batch, seq], each frequency section turned by its component (mrope-rotary.ts).
    const freqs = arch.mropeSections
      ? mropeAngles(g, positionIds, invFreq, arch.mropeSections)
      : g.op('Mul', [
          g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: 1 }), g.int64s('axis_last', [2])]),
          g.floats('inv_freq', invFreq),
        ]);
    const angles = g.op('Concat', [freqs, freqs], { axis: -1 });
    const axisHeads = g.int64s('axis_heads', [1]);
    tables = {
      cos: g.op('Unsqueeze', [g.op('Cos', [angles]), axisHeads]),
      sin: g.op('Unsqueeze', [g.op('Sin', [angles]), axisHeads]),
      halfStart: g.int64s('half_start', [0]),
      halfMid: g.int64s('half_mid', [D / 2]),
      halfEnd: g.int64s('half_end', [D]),
      axisDim: g.int64s('axis_dim', [3]),
    };
    return tables;
  };
  const rotary = (x: string) => {
    const { cos, sin, halfStart, halfMid, halfEnd, axisDim } = rotaryTables();
    const first = g.op('Slice', [x, halfStart, halfMid, axisDim]);
    const second = g.op('Slice', [x, halfMid, halfEnd, axisDim]);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: 3 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };

  const rmsNorm = (x: string, weightName: string) => {
    const meanSquare = g.op('ReduceMean', [g.op('Pow', [x, two])], { axes: [-1], keepdims: 1 });
    const normalized = g.op('Div', [x, g.op('Sqrt', [g.op('Add', [meanSquare, epsilon])])]);
    return g.op('Mul', [normalized, weight(weightName)]);
  };
  const linear = (x: string, weightName: string, biasName?: string) =>
    weights.linear(x, weightName, biasName ? { bias: biasName } : {});

  // Only the logits rows need the last layer's output projection, MLP, final norm and head:
  // its attention output and residual are gathered at logits_indices before the projection
  // (the keys/values of every position are computed first, so the cache is unchanged).
  const indexOf = g.op('Unsqueeze', [logitsIndices, g.int64s('axis_index', [2])]);
  const batchSeqOf = g.op('Shape', [embeds], { start: 0, end: 2 });
  const rowShapes = new Map<number, [string, string]>();
  const gatherRows = (x2d: string, width: number) => {
    let shapes = rowShapes.get(width);
    if (!shapes) {
      shapes = [
        g.op('Concat', [batchSeqOf, g.int64s(`rows_width_${width}`, [width])], { axis: 0 }),
        g.int64s(`rows_flat_${width}`, [-1, width]),
      ];
      rowShapes.set(width, shapes);
    }
    const gathered = g.op('GatherND', [g.op('Reshape', [x2d, shapes[0]]), indexOf], { batch_dims: 1 });
    return g.op('Reshape', [gathered, shapes[1]]);
  };

  let hidden = g.op('Reshape', [embeds, flatHidden]);
  if (ops === 'contrib')
    hidden = contribLayers(g, arch, {
      embeds,
      attentionMask,
      positionIds,
      hidden,
      layers: names.layers,
      linear,
      weight,
      gatherRows,
      ...(arch.mropeSections ? { rotate: rotary } : {}),
    });
  else {
    // The standard layers' shapes, rotary tables and key padding bias (the contrib layers build their own).
    const batchSeq = g.op('Shape', [embeds], { start: 0, end: 2 });
    const qShape = g.op('Concat', [batchSeq, g.int64s('heads_q', [numHeads, D])], { axis: 0 });
    const kvShape = g.op('Concat', [batchSeq, g.int64s('heads_kv', [K, D])], { axis: 0 });
    const groupedShape = g.int64s('shape_grouped', [0, K, rep, -1, D]);
    const ungroupedShape = g.int64s('shape_ungrouped', [0, numHeads, -1, D]);
    const flatHeads = g.int64s('shape_flat_heads', [-1, numHeads * D]);
    const scale = g.floats('attn_scale', [1 / Math.sqrt(D)], []);
    const axisGroup = g.int64s('axis_group', [2]);
    rotaryTables();
    // Key padding: 0 → the most negative float, as a [batch, 1, 1, 1, total] bias.
    const masked = g.op('Equal', [attentionMask, g.int64s('zero_i64', [0], [])]);
    const maskBias = g.op('Unsqueeze', [
      g.op('Where', [masked, g.floats('lowest', [LOWEST_FLOAT32], []), g.floats('zero_f32', [0], [])]),
      g.int64s('axes_bias', [1, 2, 3]),
    ]);
    const heads = (x2d: string, shape: string) =>
      g.op('Transpose', [g.op('Reshape', [x2d, shape])], { perm: [0, 2, 1, 3] });
    names.layers.forEach((layer, i) => {
      const normed = rmsNorm(hidden, layer.attnNorm);
      const q = rotary(heads(linear(normed, layer.q, layer.qBias), qShape));
      const k = rotary(heads(linear(normed, layer.k, layer.kBias), kvShape));
      const v = heads(linear(normed, layer.v, layer.vBias), kvShape);
      const keys = g.op('Concat', [`past_key_values.${i}.key`, k], { axis: 2 }, `present.${i}.key`);
      const values = g.op('Concat', [`past_key_values.${i}.value`, v], { axis: 2 }, `present.${i}.value`);
      g.output(keys, 'FLOAT', ['batch', K, 'total', D]);
      g.output(values, 'FLOAT', ['batch', K, 'total', D]);
      // Query heads grouped by their key/value head: [B, K, rep, S, D] against [B, K, 1, T, D].
      const grouped = g.op('Reshape', [q, groupedShape]);
      const keysT = g.op('Unsqueeze', [g.op('Transpose', [keys], { perm: [0, 1, 3, 2] }), axisGroup]);
      const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [grouped, keysT]), scale]), maskBias]);
      const probs = g.op('Softmax', [scores], { axis: -1 });
      const context = g.op('MatMul', [probs, g.op('Unsqueeze', [values, axisGroup])]);
      const merged = g.op('Reshape', [
        g.op('Transpose', [g.op('Reshape', [context, ungroupedShape])], { perm: [0, 2, 1, 3] }),
        flatHeads,
      ]);
      const last = i === numLayers - 1;
      hidden = g.op('Add', [
        last ? gatherRows(hidden, H) : hidden,
        linear(last ? gatherRows(merged, numHeads * D) : merged, layer.o),
      ]);

      const mlpIn = rmsNorm(hidden, layer.ffnNorm);
      const gate = linear(mlpIn, layer.gate);
      const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), linear(mlpIn, layer.up)]);
      hidden = g.op('Add', [hidden, linear(activated, layer.down)]);
    });
  }

  // Logits only at logits_indices: `hidden` is already the [B · n, H] rows; norm and head.
  const finalNormed = rmsNorm(numLayers > 0 ? hidden : gatherRows(hidden, H), names.finalNorm);
  const logits2d = weights.linear(finalNormed, names.lmHead, {
    head: true,
    ...(names.lmHead === names.embed ? { name: 'lm_head_tied' } : {}),
  });
  const logitsShape = g.op('Concat', [g.op('Shape', [logitsIndices]), g.int64s('vocab', [V])], { axis: 0 });
  g.output(g.op('Reshape', [logits2d, logitsShape], {}, 'logits'), 'FLOAT', ['batch', 'n', V]);
  return g;
}

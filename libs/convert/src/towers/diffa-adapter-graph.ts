/**
 * DIFFA's dual audio adapter as one ONNX graph (`audio_adapter.onnx`), fed with the Whisper
 * encoder graph's outputs:
 *
 * - acoustic: a Q-Former per tapped hidden state (`hidden_states.K`, K = 2, 5, 8, 11 for
 *   Whisper-small): `prompt_size` learned queries per tap go through a shared 2-layer BERT
 *   encoder (post-LN layers: self-attention, cross-attention to the encoder states, GELU
 *   feed-forward); the per-tap results are mixed with per-query softmax weights over the taps,
 *   then LayerNorm → Linear to the LM width: `prompt_size` tokens;
 * - semantic: the final encoder states cut to the frames that hold audio, then to a multiple of
 *   4 → Conv1d (k 3) → GELU → Conv1d (k 3, stride 4) → Linear → ReLU → Linear → ReLU →
 *   LayerNorm: one token per 4 encoder positions.
 *
 * `audio_embeds` [1, prompt_size + semantic tokens, lm width]: acoustic tokens, then semantic.
 * Besides the encoder outputs the graph takes `feature_frames` [1] (int64): how many mel frames
 * of the 3000 hold audio (the feature extractor's attention-mask sum), from which the real
 * encoder length (frames − 1) / 2 + 1 follows, as DIFFA computes it.
 */
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { checkTensorShapes } from '../lm/tensor-layout.js';
import { LOWEST_FLOAT32, TowerOps } from './tower-layers.js';
import { diffaAdapterShapes, type DiffaAdapterLayout } from './diffa-adapter-layout.js';
import type { WeightFormat } from '../weights/weight-format.js';

const BERT_LN_EPS = 1e-12;
const LN_EPS = 1e-5;

export function checkDiffaAdapterTensors(layout: DiffaAdapterLayout, checkpoint: CheckpointTensors): void {
  const where = `${checkpoint.dir} (DIFFA adapters, tensors under "${layout.semantic}" and "${layout.acoustic}")`;
  checkTensorShapes(
    where,
    diffaAdapterShapes(layout),
    checkpoint,
    (name) => name.startsWith(layout.semantic) || name.startsWith(layout.acoustic),
  );
}

export function buildDiffaAdapterGraph(
  layout: DiffaAdapterLayout,
  checkpoint: CheckpointTensors,
  weights: WeightFormat = 'fp32',
): OnnxGraphBuilder {
  checkDiffaAdapterTensors(layout, checkpoint);
  const { encoderWidth: d, encoderHeads: heads, lmWidth, promptSize: P, downsample: ds } = layout;
  const g = new OnnxGraphBuilder('diffa_adapter');
  const ops = new TowerOps(g, checkpoint, weights);
  const last = g.input('last_hidden_state', 'FLOAT', [1, 'positions', d]);
  const taps = layout.taps.map((k) => g.input(`hidden_states.${k}`, 'FLOAT', [1, 'positions', d]));
  const frames = g.input('feature_frames', 'INT64', [1]);
  const pair = (name: string) => [`${name}.weight`, `${name}.bias`] as const;

  // Acoustic: the shared BERT layers over every tap's queries at once (taps as the batch).
  const a = layout.acoustic;
  const nTaps = taps.length;
  const batchTokens = ops.ints([nTaps, P]);
  const headDim = d / heads;
  let causal: string | undefined;
  if (layout.causalQueries) {
    causal = g.floats(
      'causal_bias',
      Float32Array.from({ length: P * P }, (_, i) => (i % P > Math.floor(i / P) ? LOWEST_FLOAT32 : 0)),
      [P, P],
    );
  }
  const attend = (x: string, source: string, part: string, bias?: string) => {
    const p = `${a}qformer.layer.${part}`;
    const context = ops.selfAttention(
      ops.linear(x, ...pair(`${p}.self.query`)),
      ops.linear(source, ...pair(`${p}.self.key`)),
      ops.linear(source, ...pair(`${p}.self.value`)),
      {
        batchTokens,
        heads,
        headDim,
        ...(bias ? { bias } : {}),
      },
    );
    return ops.layerNorm(
      g.op('Add', [ops.linear(context, ...pair(`${p}.output.dense`)), x]),
      ...pair(`${p}.output.LayerNorm`),
      BERT_LN_EPS,
    );
  };
  const states = g.op('Reshape', [g.op('Concat', taps, { axis: 0 }), ops.ints([-1, d])]);
  let x = g.op('Reshape', [
    g.op(
      'Concat',
      layout.taps.map((_, j) => ops.weight(`${a}layer_prompts.${j}`)),
      { axis: 0 },
    ),
    ops.ints([-1, d]),
  ]);
  for (let i = 0; i < layout.qformerLayers; i++) {
    x = attend(x, x, `${i}.attention`, causal);
    x = attend(x, states, `${i}.crossattention`);
    const p = `${a}qformer.layer.${i}`;
    const ffn = ops.linear(
      ops.gelu(ops.linear(x, ...pair(`${p}.intermediate.dense`)), 'erf'),
      ...pair(`${p}.output.dense`),
    );
    x = ops.layerNorm(g.op('Add', [ffn, x]), ...pair(`${p}.output.LayerNorm`), BERT_LN_EPS);
  }
  const stacked = g.op('Reshape', [x, ops.ints([nTaps, P, d])]);
  const mix = g.op('Unsqueeze', [
    g.op('Transpose', [g.op('Softmax', [ops.weight(`${a}layer_weights`)], { axis: -1 })], { perm: [1, 0] }),
    ops.ints([2]),
  ]);
  const mixed = g.op('ReduceSum', [g.op('Mul', [stacked, mix]), ops.ints([0])], { keepdims: 0 });
  const acoustic = ops.linear(ops.layerNorm(mixed, ...pair(`${a}proj.0`), LN_EPS), ...pair(`${a}proj.1`));

  // Semantic: the real encoder length, cut to a multiple of the downsampling rate.
  const s = layout.semantic;
  const length = g.op('Add', [g.op('Div', [g.op('Sub', [frames, ops.ints([1])]), ops.ints([2])]), ops.ints([1])]);
  const usable = g.op('Sub', [length, g.op('Mod', [length, ops.ints([ds])])]);
  const cut = g.op('Slice', [last, ops.ints([0]), usable, ops.ints([1])]);
  const conv = (x: string, name: string, stride: number) =>
    g.op('Conv', [x, ...pair(name).map((n) => ops.weight(n))], { kernel_shape: [3], pads: [1, 1], strides: [stride] });
  const convolved = conv(
    ops.gelu(conv(g.op('Transpose', [cut], { perm: [0, 2, 1] }), `${s}conv.0`, 1), 'erf'),
    `${s}conv.2`,
    ds,
  );
  const rows = g.op('Reshape', [g.op('Transpose', [convolved], { perm: [0, 2, 1] }), ops.ints([-1, d * ds])]);
  const hidden = g.op('Relu', [ops.linear(rows, ...pair(`${s}linear_connector.0`))]);
  const semantic = ops.layerNorm(
    g.op('Relu', [ops.linear(hidden, ...pair(`${s}linear_connector.2`))]),
    ...pair(`${s}layernorm`),
    LN_EPS,
  );

  const embeds = g.op(
    'Unsqueeze',
    [g.op('Concat', [acoustic, semantic], { axis: 0 }), ops.ints([0])],
    {},
    'audio_embeds',
  );
  g.output(embeds, 'FLOAT', [1, 'tokens', lmWidth]);
  return g;
}

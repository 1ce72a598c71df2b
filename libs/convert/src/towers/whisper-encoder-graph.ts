/**
 * The Whisper encoder (the audio tower of DIFFA: Whisper-small, frozen) as an ONNX graph:
 * `input_features` [batch, n_mels, frames] → conv1d (k 3) → GELU → conv1d (k 3, stride 2) →
 * GELU → + learned (sinusoid-initialised) positions → pre-LN transformer layers (LayerNorm →
 * self-attention with q/v biases, no k bias → residual; LayerNorm → fc1 → GELU → fc2 →
 * residual) → final LayerNorm.
 *
 * Outputs: `last_hidden_state` [batch, frames / 2, d_model] and, on request, entries of the
 * Hugging Face hidden-state tuple as `hidden_states.K`: K = 0 is the embedding output, K < L the
 * input of layer K (= output of layer K − 1), K = L the final output after the LayerNorm (as
 * transformers returns it). DIFFA's Q-Former taps K = 2, 5, 8, 11 of Whisper-small (L = 12).
 *
 * Frames may be fewer than Whisper's 3000 (the positions are sliced); Whisper was trained on
 * 30 s windows, so feature extractors pad to 3000.
 */
import { z } from 'zod';
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { checkTensorShapes } from '../lm/tensor-layout.js';
import { parseTowerConfig, TowerOps } from './tower-layers.js';
import type { WeightFormat } from '../weights/weight-format.js';

const count = z.number().int().positive();

export const whisperEncoderConfigSchema = z
  .looseObject({
    d_model: count,
    encoder_layers: count,
    encoder_attention_heads: count,
    encoder_ffn_dim: count,
    num_mel_bins: count,
    max_source_positions: count,
    activation_function: z.literal('gelu', { error: 'only "gelu" (exact) is implemented' }).default('gelu'),
    scale_embedding: z.literal(false, { error: 'scale_embedding: true is not implemented' }).default(false),
  })
  .refine((c) => c.d_model % c.encoder_attention_heads === 0, {
    message: 'd_model is not a multiple of encoder_attention_heads',
    path: ['encoder_attention_heads'],
  });
export type WhisperEncoderConfig = z.infer<typeof whisperEncoderConfigSchema>;

/** openai/whisper-small's encoder sizes (DIFFA's audio tower). */
export const WHISPER_SMALL_ENCODER = {
  d_model: 768,
  encoder_layers: 12,
  encoder_attention_heads: 12,
  encoder_ffn_dim: 3072,
  num_mel_bins: 80,
  max_source_positions: 1500,
} as const;

export interface WhisperEncoderOptions {
  /** Where the encoder's tensors live in the checkpoint (default `model.encoder.`). */
  readonly prefix?: string;
  /** Hidden-state tuple entries to output as `hidden_states.K` (0 … encoder_layers). */
  readonly hiddenStates?: readonly number[];
  /** Format of the projection weights (default fp32). */
  readonly weights?: WeightFormat;
}

const LAYER_NORM_EPS = 1e-5;

export function parseWhisperEncoderConfig(raw: unknown, source = 'config.json'): WhisperEncoderConfig {
  return parseTowerConfig(whisperEncoderConfigSchema, raw, source);
}

interface WhisperLayerNames {
  readonly attnNorm: readonly [string, string];
  readonly q: readonly [string, string];
  readonly k: string;
  readonly v: readonly [string, string];
  readonly o: readonly [string, string];
  readonly ffnNorm: readonly [string, string];
  readonly fc1: readonly [string, string];
  readonly fc2: readonly [string, string];
}

function layerNames(prefix: string, i: number): WhisperLayerNames {
  const p = `${prefix}layers.${i}.`;
  const pair = (name: string) => [`${p}${name}.weight`, `${p}${name}.bias`] as const;
  return {
    attnNorm: pair('self_attn_layer_norm'),
    q: pair('self_attn.q_proj'),
    k: `${p}self_attn.k_proj.weight`,
    v: pair('self_attn.v_proj'),
    o: pair('self_attn.out_proj'),
    ffnNorm: pair('final_layer_norm'),
    fc1: pair('fc1'),
    fc2: pair('fc2'),
  };
}

/** Every encoder tensor with its shape as stored. */
export function whisperEncoderShapes(
  config: WhisperEncoderConfig,
  prefix = 'model.encoder.',
): Map<string, readonly number[]> {
  const { d_model: h, encoder_ffn_dim: f, num_mel_bins: mels } = config;
  const shapes = new Map<string, readonly number[]>([
    [`${prefix}conv1.weight`, [h, mels, 3]],
    [`${prefix}conv1.bias`, [h]],
    [`${prefix}conv2.weight`, [h, h, 3]],
    [`${prefix}conv2.bias`, [h]],
    [`${prefix}embed_positions.weight`, [config.max_source_positions, h]],
    [`${prefix}layer_norm.weight`, [h]],
    [`${prefix}layer_norm.bias`, [h]],
  ]);
  for (let i = 0; i < config.encoder_layers; i++) {
    const l = layerNames(prefix, i);
    for (const [name, shape] of [
      [l.attnNorm, [h]],
      [l.ffnNorm, [h]],
      [l.q, [h, h]],
      [l.v, [h, h]],
      [l.o, [h, h]],
      [l.fc1, [f, h]],
      [l.fc2, [h, f]],
    ] as const) {
      shapes.set(name[0], shape);
      shapes.set(name[1], [shape[0]]);
    }
    shapes.set(l.k, [h, h]);
  }
  return shapes;
}

/** Checks the checkpoint holds exactly the encoder's tensors under `prefix` (others are left alone). */
export function checkWhisperEncoderTensors(
  config: WhisperEncoderConfig,
  checkpoint: CheckpointTensors,
  prefix = 'model.encoder.',
): void {
  const where = `${checkpoint.dir} (Whisper encoder, tensors under "${prefix}")`;
  checkTensorShapes(where, whisperEncoderShapes(config, prefix), checkpoint, (name) => name.startsWith(prefix));
}

export function buildWhisperEncoderGraph(
  config: WhisperEncoderConfig,
  checkpoint: CheckpointTensors,
  options: WhisperEncoderOptions = {},
): OnnxGraphBuilder {
  const prefix = options.prefix ?? 'model.encoder.';
  const { d_model: H, encoder_layers: L, encoder_attention_heads: heads } = config;
  const requested = [...new Set(options.hiddenStates ?? [])].sort((a, b) => a - b);
  for (const k of requested) {
    if (!Number.isInteger(k) || k < 0 || k > L)
      throw new RangeError(`hidden state ${k} does not exist: the tuple has entries 0 … ${L}`);
  }
  checkWhisperEncoderTensors(config, checkpoint, prefix);

  const g = new OnnxGraphBuilder('whisper_encoder');
  const ops = new TowerOps(g, checkpoint, options.weights);
  const features = g.input('input_features', 'FLOAT', ['batch', config.num_mel_bins, 'frames']);

  const conv = (x: string, name: string, stride: number) =>
    ops.gelu(
      g.op('Conv', [x, ops.weight(`${prefix}${name}.weight`), ops.weight(`${prefix}${name}.bias`)], {
        kernel_shape: [3],
        pads: [1, 1],
        strides: [stride],
      }),
      'erf',
    );
  const stem = g.op('Transpose', [conv(conv(features, 'conv1', 1), 'conv2', 2)], { perm: [0, 2, 1] });
  const shape3d = g.op('Shape', [stem]);
  const positionsUsed = g.op('Shape', [stem], { start: 1, end: 2 });
  const positions = g.op('Slice', [
    ops.weight(`${prefix}embed_positions.weight`),
    ops.ints([0]),
    positionsUsed,
    ops.ints([0]),
  ]);
  let hidden = g.op('Reshape', [g.op('Add', [stem, positions]), ops.ints([-1, H])]);
  const batchTokens = g.op('Shape', [stem], { start: 0, end: 2 });

  const emit = (k: number, x: string) => {
    if (requested.includes(k))
      g.output(g.op('Reshape', [x, shape3d], {}, `hidden_states.${k}`), 'FLOAT', ['batch', 'positions', H]);
  };
  for (let i = 0; i < L; i++) {
    emit(i, hidden);
    const l = layerNames(prefix, i);
    const normed = ops.layerNorm(hidden, l.attnNorm[0], l.attnNorm[1], LAYER_NORM_EPS);
    const context = ops.selfAttention(ops.linear(normed, ...l.q), ops.linear(normed, l.k), ops.linear(normed, ...l.v), {
      batchTokens,
      heads,
      headDim: H / heads,
    });
    hidden = g.op('Add', [hidden, ops.linear(context, ...l.o)]);
    const mlpIn = ops.layerNorm(hidden, l.ffnNorm[0], l.ffnNorm[1], LAYER_NORM_EPS);
    hidden = g.op('Add', [hidden, ops.linear(ops.gelu(ops.linear(mlpIn, ...l.fc1), 'erf'), ...l.fc2)]);
  }
  const final = g.op(
    'Reshape',
    [ops.layerNorm(hidden, `${prefix}layer_norm.weight`, `${prefix}layer_norm.bias`, LAYER_NORM_EPS), shape3d],
    {},
    'last_hidden_state',
  );
  g.output(final, 'FLOAT', ['batch', 'positions', H]);
  if (requested.includes(L))
    g.output(g.op('Identity', [final], {}, `hidden_states.${L}`), 'FLOAT', ['batch', 'positions', H]);
  return g;
}

/**
 * The SigLIP vision tower (LLaDA-V's: siglip-so400m-patch14-384) as an ONNX graph:
 * `pixel_values` [batch, 3, image_size, image_size] → patch embedding (Conv2d, kernel = stride =
 * patch size, with bias) → + learned positions → pre-LN transformer layers (LayerNorm →
 * self-attention with q/k/v/out biases → residual; LayerNorm → fc1 → tanh-GELU → fc2 →
 * residual) → optional post-LayerNorm → `last_hidden_state` [batch, patches, hidden].
 *
 * `dropLastLayers` leaves the last encoder layers out, as LLaVA-style towers (LLaDA-V) do:
 * they delete the last layer and take the last hidden state of the remaining ones without the
 * post-LayerNorm (`LLADA_V_SIGLIP`). The attention-pooling head is never used. Images must have
 * the configured size (the positions are not interpolated).
 */
import { z } from 'zod';
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { checkTensorShapes } from '../lm/tensor-layout.js';
import { parseTowerConfig, TowerOps } from './tower-layers.js';
import type { WeightFormat } from '../weights/weight-format.js';

const count = z.number().int().positive();

export const siglipVisionConfigSchema = z
  .looseObject({
    hidden_size: count,
    intermediate_size: count,
    num_hidden_layers: count,
    num_attention_heads: count,
    num_channels: count.default(3),
    image_size: count,
    patch_size: count,
    layer_norm_eps: z.number().positive().default(1e-6),
    hidden_act: z
      .enum(['gelu_pytorch_tanh', 'gelu'], { error: 'only "gelu_pytorch_tanh" and "gelu" are implemented' })
      .default('gelu_pytorch_tanh'),
  })
  .refine((c) => c.hidden_size % c.num_attention_heads === 0, {
    message: 'hidden_size is not a multiple of num_attention_heads',
    path: ['num_attention_heads'],
  });
export type SiglipVisionConfig = z.infer<typeof siglipVisionConfigSchema>;

export interface SiglipOptions {
  /** Where the tower's tensors live (default ``; LLaDA-V: `model.vision_tower.vision_tower.vision_model.`). */
  readonly prefix?: string;
  /** Encoder layers left out at the end (default 0; LLaDA-V: 1). */
  readonly dropLastLayers?: number;
  /** Apply `post_layernorm` to the output (default true; LLaDA-V: false). */
  readonly postLayerNorm?: boolean;
  /** Format of the projection weights (default fp32). */
  readonly weights?: WeightFormat;
}

/** siglip-so400m-patch14-384, whose sizes LLaVA-style code (LLaDA-V) hard-codes instead of storing a vision config. */
export const SIGLIP_SO400M_PATCH14_384 = {
  hidden_size: 1152,
  intermediate_size: 4304,
  num_hidden_layers: 27,
  num_attention_heads: 16,
  image_size: 384,
  patch_size: 14,
} as const;

/** How LLaDA-V (LLaVA-OneVision style) uses SigLIP: last layer dropped, no post-LayerNorm. */
export const LLADA_V_SIGLIP: SiglipOptions = { dropLastLayers: 1, postLayerNorm: false };

export function parseSiglipVisionConfig(raw: unknown, source = 'config.json'): SiglipVisionConfig {
  return parseTowerConfig(siglipVisionConfigSchema, raw, source);
}

/** Patches per image: the convolution drops the pixels past the last whole patch (so400m: 384 px, patch 14 → 27 × 27). */
function patchesOf(config: SiglipVisionConfig): number {
  return Math.floor(config.image_size / config.patch_size) ** 2;
}

function keptLayers(config: SiglipVisionConfig, options: SiglipOptions): number {
  const drop = options.dropLastLayers ?? 0;
  if (!Number.isInteger(drop) || drop < 0 || drop >= config.num_hidden_layers) {
    throw new RangeError(
      `dropLastLayers ${drop}: the tower has ${config.num_hidden_layers} layers; drop 0 … ${config.num_hidden_layers - 1}`,
    );
  }
  return config.num_hidden_layers - drop;
}

const PAIRS = [
  'layer_norm1',
  'layer_norm2',
  'mlp.fc1',
  'mlp.fc2',
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.out_proj',
] as const;

/** The tensors the graph uses, with their shapes as stored. */
export function siglipShapes(config: SiglipVisionConfig, options: SiglipOptions = {}): Map<string, readonly number[]> {
  const prefix = options.prefix ?? '';
  const { hidden_size: h, intermediate_size: f, patch_size: p } = config;
  const shapes = new Map<string, readonly number[]>([
    [`${prefix}embeddings.patch_embedding.weight`, [h, config.num_channels, p, p]],
    [`${prefix}embeddings.patch_embedding.bias`, [h]],
    [`${prefix}embeddings.position_embedding.weight`, [patchesOf(config), h]],
  ]);
  const out: Record<(typeof PAIRS)[number], number> = {
    layer_norm1: h,
    layer_norm2: h,
    'mlp.fc1': f,
    'mlp.fc2': h,
    'self_attn.q_proj': h,
    'self_attn.k_proj': h,
    'self_attn.v_proj': h,
    'self_attn.out_proj': h,
  };
  const inputs: Record<(typeof PAIRS)[number], number | undefined> = {
    layer_norm1: undefined,
    layer_norm2: undefined,
    'mlp.fc1': h,
    'mlp.fc2': f,
    'self_attn.q_proj': h,
    'self_attn.k_proj': h,
    'self_attn.v_proj': h,
    'self_attn.out_proj': h,
  };
  for (let i = 0; i < keptLayers(config, options); i++) {
    for (const part of PAIRS) {
      const input = inputs[part];
      shapes.set(`${prefix}encoder.layers.${i}.${part}.weight`, input === undefined ? [out[part]] : [out[part], input]);
      shapes.set(`${prefix}encoder.layers.${i}.${part}.bias`, [out[part]]);
    }
  }
  if (options.postLayerNorm ?? true) {
    shapes.set(`${prefix}post_layernorm.weight`, [h]);
    shapes.set(`${prefix}post_layernorm.bias`, [h]);
  }
  return shapes;
}

/**
 * Checks the tower's tensors under the prefix. Tensors the graph leaves out on purpose (the
 * pooling head, dropped layers, an unused post-LayerNorm, a stored `position_ids` buffer) may be
 * present; anything else under the prefix is unexpected.
 */
export function checkSiglipTensors(
  config: SiglipVisionConfig,
  checkpoint: CheckpointTensors,
  options: SiglipOptions = {},
): void {
  const prefix = options.prefix ?? '';
  const kept = keptLayers(config, options);
  const leftOut = (name: string) => {
    const rest = name.slice(prefix.length);
    const layer = /^encoder\.layers\.(\d+)\./.exec(rest);
    return (
      rest.startsWith('head.') ||
      rest.startsWith('post_layernorm.') ||
      rest === 'embeddings.position_ids' ||
      (layer !== null && Number(layer[1]) >= kept && Number(layer[1]) < config.num_hidden_layers)
    );
  };
  const where = `${checkpoint.dir} (SigLIP vision tower${prefix ? `, tensors under "${prefix}"` : ''})`;
  checkTensorShapes(
    where,
    siglipShapes(config, options),
    checkpoint,
    (name) => name.startsWith(prefix) && !leftOut(name),
  );
}

export function buildSiglipGraph(
  config: SiglipVisionConfig,
  checkpoint: CheckpointTensors,
  options: SiglipOptions = {},
): OnnxGraphBuilder {
  const prefix = options.prefix ?? '';
  checkSiglipTensors(config, checkpoint, options);
  const { hidden_size: H, num_attention_heads: heads, patch_size: P, image_size: S, layer_norm_eps: eps } = config;
  const act = config.hidden_act === 'gelu' ? 'erf' : 'tanh';
  const g = new OnnxGraphBuilder('siglip_vision');
  const ops = new TowerOps(g, checkpoint, options.weights);
  const pixels = g.input('pixel_values', 'FLOAT', ['batch', config.num_channels, S, S]);

  const patches = g.op(
    'Conv',
    [
      pixels,
      ops.weight(`${prefix}embeddings.patch_embedding.weight`),
      ops.weight(`${prefix}embeddings.patch_embedding.bias`),
    ],
    {
      kernel_shape: [P, P],
      strides: [P, P],
    },
  );
  const tokens = g.op('Transpose', [g.op('Reshape', [patches, ops.ints([0, H, -1])])], { perm: [0, 2, 1] });
  const embedded = g.op('Add', [tokens, ops.weight(`${prefix}embeddings.position_embedding.weight`)]);
  const shape3d = g.op('Shape', [embedded]);
  const batchTokens = g.op('Shape', [embedded], { start: 0, end: 2 });
  let hidden = g.op('Reshape', [embedded, ops.ints([-1, H])]);

  for (let i = 0; i < keptLayers(config, options); i++) {
    const p = (part: string) =>
      [`${prefix}encoder.layers.${i}.${part}.weight`, `${prefix}encoder.layers.${i}.${part}.bias`] as const;
    const normed = ops.layerNorm(hidden, ...p('layer_norm1'), eps);
    const q = ops.linear(normed, ...p('self_attn.q_proj'));
    const k = ops.linear(normed, ...p('self_attn.k_proj'));
    const v = ops.linear(normed, ...p('self_attn.v_proj'));
    const context = ops.selfAttention(q, k, v, { batchTokens, heads, headDim: H / heads });
    hidden = g.op('Add', [hidden, ops.linear(context, ...p('self_attn.out_proj'))]);
    const mlpIn = ops.layerNorm(hidden, ...p('layer_norm2'), eps);
    hidden = g.op('Add', [hidden, ops.linear(ops.gelu(ops.linear(mlpIn, ...p('mlp.fc1')), act), ...p('mlp.fc2'))]);
  }
  if (options.postLayerNorm ?? true)
    hidden = ops.layerNorm(hidden, `${prefix}post_layernorm.weight`, `${prefix}post_layernorm.bias`, eps);
  g.output(g.op('Reshape', [hidden, shape3d], {}, 'last_hidden_state'), 'FLOAT', ['batch', patchesOf(config), H]);
  return g;
}

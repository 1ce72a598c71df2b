/**
 * The Qwen2.5-VL vision tower (Dimple's) as an ONNX graph:
 * `pixel_values` [patches, C·T·P·P] (flattened patches as Qwen2VLImageProcessor writes them) and
 * `image_grid_thw` [1, 3] → patch embedding (the Conv3d kernel = stride = [T, P, P] without bias
 * is one matrix over a flattened patch) → patches put in window order → blocks (RMSNorm →
 * attention with fused qkv + bias and 2-D rotary, inside each window, or over the whole frame in
 * the `fullatt_block_indexes` blocks → proj → residual; RMSNorm → SwiGLU with biases →
 * residual) → merger (RMSNorm, m × m neighbouring patches concatenated, Linear → GELU →
 * Linear to `out_hidden_size`) → merged tokens back in the processor's order:
 * `image_features` [patches / m², out_hidden_size].
 *
 * One image (or video) per run: `image_grid_thw` must have one row. Window blocks attend within
 * [windows, window² · m² slots] (padding slots masked as keys); full-attention blocks use a
 * dense [patches, patches] bias (same frame), so their memory grows with the square of the
 * patch count.
 */
import { z } from 'zod';
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { buildWindowIndex } from './qwen2-vl-window-index.js';
import { checkTensorShapes } from '../lm/tensor-layout.js';
import { parseTowerConfig, TowerOps } from './tower-layers.js';
import type { WeightFormat } from '../weights/weight-format.js';

const count = z.number().int().positive();

export const qwen2VlVisionConfigSchema = z
  .looseObject({
    depth: count,
    hidden_size: count,
    intermediate_size: count,
    num_heads: count,
    in_channels: count.default(3),
    patch_size: count.default(14),
    spatial_merge_size: count.default(2),
    temporal_patch_size: count.default(2),
    window_size: count.default(112),
    out_hidden_size: count,
    fullatt_block_indexes: z.array(z.number().int().nonnegative()).default([7, 15, 23, 31]),
    hidden_act: z.literal('silu', { error: 'only "silu" (SwiGLU) is implemented' }).default('silu'),
    rope_parameters: z.looseObject({ rope_theta: z.number().positive().optional() }).nullish(),
    rope_theta: z.number().positive().optional(),
  })
  .refine((c) => c.hidden_size % c.num_heads === 0 && (c.hidden_size / c.num_heads) % 4 === 0, {
    message: 'hidden_size / num_heads must be a multiple of 4 (two rotary axes in rotate-half form)',
    path: ['num_heads'],
  })
  .refine((c) => c.window_size % (c.spatial_merge_size * c.patch_size) === 0, {
    message: 'window_size is not a multiple of spatial_merge_size · patch_size',
    path: ['window_size'],
  })
  .refine((c) => c.fullatt_block_indexes.every((i) => i < c.depth), {
    message: 'a full-attention block index is not below depth',
    path: ['fullatt_block_indexes'],
  });
export type Qwen2VlVisionConfig = z.infer<typeof qwen2VlVisionConfigSchema>;

/** Qwen2.5-VL-7B's vision tower sizes (Dimple-7B's vision config). */
export const QWEN25_VL_7B_VISION = {
  depth: 32,
  hidden_size: 1280,
  intermediate_size: 3420,
  num_heads: 16,
  out_hidden_size: 3584,
  fullatt_block_indexes: [7, 15, 23, 31],
} as const;

export interface Qwen2VlVisionOptions {
  /** Where the tower's tensors live (default ``; Qwen2.5-VL checkpoints: `visual.`). */
  readonly prefix?: string;
  /** Format of the projection weights (default fp32; the patch embedding stays fp32). */
  readonly weights?: WeightFormat;
}

const RMS_EPS = 1e-6;

export function parseQwen2VlVisionConfig(raw: unknown, source = 'config.json'): Qwen2VlVisionConfig {
  return parseTowerConfig(qwen2VlVisionConfigSchema, raw, source);
}

/** Every tensor of the tower, with its shape as stored. */
export function qwen2VlVisionShapes(config: Qwen2VlVisionConfig, prefix = ''): Map<string, readonly number[]> {
  const { hidden_size: h, intermediate_size: f, spatial_merge_size: m } = config;
  const merged = h * m * m;
  const shapes = new Map<string, readonly number[]>([
    [
      `${prefix}patch_embed.proj.weight`,
      [h, config.in_channels, config.temporal_patch_size, config.patch_size, config.patch_size],
    ],
    [`${prefix}merger.ln_q.weight`, [h]],
    [`${prefix}merger.mlp.0.weight`, [merged, merged]],
    [`${prefix}merger.mlp.0.bias`, [merged]],
    [`${prefix}merger.mlp.2.weight`, [config.out_hidden_size, merged]],
    [`${prefix}merger.mlp.2.bias`, [config.out_hidden_size]],
  ]);
  for (let i = 0; i < config.depth; i++) {
    const p = `${prefix}blocks.${i}.`;
    shapes.set(`${p}norm1.weight`, [h]);
    shapes.set(`${p}norm2.weight`, [h]);
    shapes.set(`${p}attn.qkv.weight`, [3 * h, h]);
    shapes.set(`${p}attn.qkv.bias`, [3 * h]);
    shapes.set(`${p}attn.proj.weight`, [h, h]);
    shapes.set(`${p}attn.proj.bias`, [h]);
    for (const name of ['gate_proj', 'up_proj']) {
      shapes.set(`${p}mlp.${name}.weight`, [f, h]);
      shapes.set(`${p}mlp.${name}.bias`, [f]);
    }
    shapes.set(`${p}mlp.down_proj.weight`, [h, f]);
    shapes.set(`${p}mlp.down_proj.bias`, [h]);
  }
  return shapes;
}

export function checkQwen2VlVisionTensors(
  config: Qwen2VlVisionConfig,
  checkpoint: CheckpointTensors,
  prefix = '',
): void {
  const where = `${checkpoint.dir} (Qwen2.5-VL vision tower${prefix ? `, tensors under "${prefix}"` : ''})`;
  checkTensorShapes(where, qwen2VlVisionShapes(config, prefix), checkpoint, (name) => name.startsWith(prefix));
}

export function buildQwen2VlVisionGraph(
  config: Qwen2VlVisionConfig,
  checkpoint: CheckpointTensors,
  options: Qwen2VlVisionOptions = {},
): OnnxGraphBuilder {
  const prefix = options.prefix ?? '';
  checkQwen2VlVisionTensors(config, checkpoint, prefix);
  const { hidden_size: H, num_heads: heads, spatial_merge_size: m } = config;
  const headDim = H / heads;
  const patchWidth = config.in_channels * config.temporal_patch_size * config.patch_size ** 2;
  const g = new OnnxGraphBuilder('qwen2_5_vl_vision');
  const ops = new TowerOps(g, checkpoint, options.weights);
  const pixels = g.input('pixel_values', 'FLOAT', ['patches', patchWidth]);
  const grid = g.input('image_grid_thw', 'INT64', [1, 3]);

  const index = buildWindowIndex(ops, grid, {
    mergeSize: m,
    window: config.window_size / m / config.patch_size,
    headDim,
    ropeTheta: config.rope_parameters?.rope_theta ?? config.rope_theta ?? 10000,
  });
  const embedded = ops.linear(pixels, `${prefix}patch_embed.proj.weight`, undefined, [H, patchWidth]);
  let hidden = g.op('Gather', [embedded, index.patchOrder], { axis: 0 });

  const batchTokens = g.op('Concat', [ops.ints([1]), g.op('Shape', [hidden], { start: 0, end: 1 })], { axis: 0 });
  const cos = g.op('Unsqueeze', [index.cos, ops.ints([0, 2])]);
  const sin = g.op('Unsqueeze', [index.sin, ops.ints([0, 2])]);
  const [halfStart, halfMid, halfEnd, lastAxis] = [
    ops.ints([0]),
    ops.ints([headDim / 2]),
    ops.ints([headDim]),
    ops.ints([3]),
  ];
  const rotate = (x: string) => {
    const first = g.op('Slice', [x, halfStart, halfMid, lastAxis]);
    const second = g.op('Slice', [x, halfMid, halfEnd, lastAxis]);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: 3 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };

  // Window attention in a [windows, slots per window] layout: no [patches, patches] mask.
  const slots = index.slotsPerWindow;
  const intoWindows = (x: string, rotated: boolean, perm: number[]) => {
    let shaped = g.op('Reshape', [x, ops.ints([1, -1, heads, headDim])]);
    if (rotated) shaped = rotate(shaped);
    const gathered = g.op('Gather', [g.op('Reshape', [shaped, ops.ints([-1, heads, headDim])]), index.windowSlots], {
      axis: 0,
    });
    return g.op('Transpose', [g.op('Reshape', [gathered, ops.ints([-1, slots, heads, headDim])])], { perm });
  };
  const windowAttention = (q: string, k: string, v: string) => {
    const scores = g.op('Add', [
      g.op('Mul', [
        g.op('MatMul', [intoWindows(q, true, [0, 2, 1, 3]), intoWindows(k, true, [0, 2, 3, 1])]),
        ops.float(1 / Math.sqrt(headDim)),
      ]),
      index.windowKeyBias,
    ]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), intoWindows(v, false, [0, 2, 1, 3])]);
    const rows = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), ops.ints([-1, H])]);
    return g.op('Gather', [rows, index.fromSlots], { axis: 0 });
  };

  for (let i = 0; i < config.depth; i++) {
    const p = `${prefix}blocks.${i}.`;
    const normed = ops.rmsNorm(hidden, `${p}norm1.weight`, RMS_EPS);
    const [q, k, v] = g.node(
      'Split',
      [ops.linear(normed, `${p}attn.qkv.weight`, `${p}attn.qkv.bias`)],
      { axis: 1 },
      3,
    ) as [string, string, string];
    const full = config.fullatt_block_indexes.includes(i);
    const context = full
      ? ops.selfAttention(q, k, v, { batchTokens, heads, headDim, rotate, bias: index.fullBias })
      : windowAttention(q, k, v);
    hidden = g.op('Add', [hidden, ops.linear(context, `${p}attn.proj.weight`, `${p}attn.proj.bias`)]);
    const mlpIn = ops.rmsNorm(hidden, `${p}norm2.weight`, RMS_EPS);
    const gate = ops.silu(ops.linear(mlpIn, `${p}mlp.gate_proj.weight`, `${p}mlp.gate_proj.bias`));
    const up = ops.linear(mlpIn, `${p}mlp.up_proj.weight`, `${p}mlp.up_proj.bias`);
    hidden = g.op('Add', [
      hidden,
      ops.linear(g.op('Mul', [gate, up]), `${p}mlp.down_proj.weight`, `${p}mlp.down_proj.bias`),
    ]);
  }

  const units = g.op('Reshape', [
    ops.rmsNorm(hidden, `${prefix}merger.ln_q.weight`, RMS_EPS),
    ops.ints([-1, H * m * m]),
  ]);
  const mlp = ops.gelu(ops.linear(units, `${prefix}merger.mlp.0.weight`, `${prefix}merger.mlp.0.bias`), 'erf');
  const projected = ops.linear(mlp, `${prefix}merger.mlp.2.weight`, `${prefix}merger.mlp.2.bias`);
  g.output(g.op('Gather', [projected, index.reverse], { axis: 0 }, 'image_features'), 'FLOAT', [
    'tokens',
    config.out_hidden_size,
  ]);
  return g;
}

/**
 * `config.json` of a Dimple checkpoint (yu-rp/Dimple, `model_type: "Dimple"`) → what
 * `unmask convert` builds from it. Facts from the public configuration and modeling code:
 *
 * - The LM is Dream's (Qwen2 layout: `model.embed_tokens`, `model.layers.N.*` with q/k/v biases,
 *   `model.norm`, `lm_head`; full bidirectional attention; logits shifted by one position) with
 *   the LM's fields at the top level of config.json, and multimodal rotary positions: sections
 *   from `rope_scaling.mrope_section`, `rope_parameters.mrope_section` (newer transformers) or
 *   the top-level `mrope_section` (DimpleConfig's default
 *   [16, 24, 24] when neither is given).
 * - The vision tower is Qwen2.5-VL's, described by `vision_config`, stored under `visual.`.
 * - The projector is `img_projector.linear_1` (out_hidden_size → hidden) → `hidden_act` →
 *   `img_projector.linear_2` (hidden → hidden).
 * - Image positions carry `image_token_id` (`<|image_pad|>`, 151655 in Dimple-7B), one per
 *   merged 2 × 2 patch, between `vision_start_token_id` and `vision_end_token_id`; the mask is
 *   `mask_token_id` (151666).
 */
import { UnmaskError } from '@unmask/core';
import { z } from 'zod';
import { architectureFromConfig, type LmArchitecture } from '../lm/checkpoint-config.js';
import { checkMropeSections } from '../lm/mrope-rotary.js';
import type { ProjectorActivation } from '../towers/projector-graph.js';
import { parseQwen2VlVisionConfig, type Qwen2VlVisionConfig } from '../towers/qwen2-vl-vision-graph.js';

/** DimpleConfig's default sections (temporal, height, width) when config.json names none. */
export const DIMPLE_DEFAULT_MROPE_SECTION = [16, 24, 24] as const;

export interface DimplePlan {
  readonly kind: 'dimple';
  readonly lm: LmArchitecture;
  readonly vision: Qwen2VlVisionConfig;
  readonly projectorActivation: ProjectorActivation;
  /** Token ids config.json states (the tokenizer must agree). */
  readonly imageTokenId?: number;
  readonly visionStartTokenId?: number;
  readonly visionEndTokenId?: number;
  readonly notes: readonly string[];
}

const id = z.number().int().nonnegative().optional();
const sections = z.array(z.number().int().nonnegative());

const ropeFields = z.looseObject({
  type: z.string().optional(),
  rope_type: z.string().optional(),
  mrope_section: sections.optional(),
});

const dimpleSchema = z.looseObject({
  vision_config: z.record(z.string(), z.unknown(), {
    error: "must be the Qwen2.5-VL vision tower's config (an object)",
  }),
  hidden_act: z
    .enum(['silu', 'gelu', 'gelu_pytorch_tanh'], { error: 'the projector implements silu, gelu and gelu_pytorch_tanh' })
    .default('silu'),
  mrope_section: sections.optional(),
  rope_scaling: ropeFields.nullish(),
  rope_parameters: ropeFields.nullish(),
  image_token_id: id,
  vision_start_token_id: id,
  vision_end_token_id: id,
  video_token_id: id,
  use_sliding_window: z.literal(false, { error: 'sliding-window attention is not supported' }).default(false),
});

function fail(file: string, field: string, message: string): never {
  throw new UnmaskError('invalid_bundle', `${file}: ${field}: ${message}`, field);
}

export function dimplePlan(config: Record<string, unknown>, file = 'config.json'): DimplePlan {
  const parsed = dimpleSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(file, issue.path.join('.') || 'config', issue.message);
  }
  const c = parsed.data;
  for (const field of ['rope_scaling', 'rope_parameters'] as const) {
    const ropeType = c[field]?.rope_type ?? c[field]?.type;
    if (ropeType !== undefined && ropeType !== 'mrope' && ropeType !== 'default') {
      fail(
        file,
        `${field}.type`,
        `is "${ropeType}"; Dimple's LM is built with the plain multimodal rotary ("mrope" / "default")`,
      );
    }
  }
  // The LM fields are Qwen2's at the top level; rope_scaling only carries the M-RoPE sections,
  // and a rope_parameters of type "mrope" is otherwise the default rotary (its θ is kept).
  const { rope_scaling: _ropeScaling, rope_parameters: ropeParameters, ...lmFields } = config;
  const lmConfig = c.rope_parameters
    ? { ...lmFields, rope_parameters: { ...(ropeParameters as object), rope_type: 'default' } }
    : lmFields;
  const lm = architectureFromConfig({ ...lmConfig, model_type: 'qwen2' }, `${file} (Dimple's language model)`);
  const notes: string[] = [];
  const [given, field] = c.rope_scaling?.mrope_section
    ? [c.rope_scaling.mrope_section, 'rope_scaling.mrope_section']
    : c.rope_parameters?.mrope_section
      ? [c.rope_parameters.mrope_section, 'rope_parameters.mrope_section']
      : [c.mrope_section, 'mrope_section'];
  if (given === undefined)
    notes.push(
      `config.json names no mrope_section: DimpleConfig's default ${JSON.stringify(DIMPLE_DEFAULT_MROPE_SECTION)} is used`,
    );
  const mropeSections = checkMropeSections(given ?? DIMPLE_DEFAULT_MROPE_SECTION, lm.headDim, `${file}: ${field}`);
  const vision = parseQwen2VlVisionConfig(c.vision_config, `${file}: vision_config`);
  return {
    kind: 'dimple',
    lm: { ...lm, modelType: typeof config.model_type === 'string' ? config.model_type : 'Dimple', mropeSections },
    vision,
    projectorActivation: c.hidden_act,
    ...(c.image_token_id === undefined ? {} : { imageTokenId: c.image_token_id }),
    ...(c.vision_start_token_id === undefined ? {} : { visionStartTokenId: c.vision_start_token_id }),
    ...(c.vision_end_token_id === undefined ? {} : { visionEndTokenId: c.vision_end_token_id }),
    notes,
  };
}

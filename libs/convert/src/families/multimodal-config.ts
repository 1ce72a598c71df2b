/**
 * `config.json` of a multimodal checkpoint → what `unmask convert` builds from it: the LM's
 * architecture plus the perception tower. Recognised:
 *
 * - **LLaDA-V** (LLaVA-OneVision layout, `model_type: "llava_llada"` or any `mm_vision_tower`):
 *   the LM's fields at the top level (LLaDA's `d_model` … or Llama's `hidden_size` …), SigLIP
 *   chosen by `mm_vision_tower` (or described by a `vision_config`), `mm_vision_select_layer`
 *   (−2: last layer dropped), `mm_projector_type: "mlp2x_gelu"`, `mm_hidden_size`.
 * - **DIFFA** (`model_type: "diffa"`, or `whisper_config` with `llm_config`): the LM's config in
 *   `llm_config`, the Whisper encoder's in `whisper_config`, `prompt_size`, `whisper_model_id`.
 * - **Dimple** (`model_type` containing "dimple", or a Qwen2.5-VL `vision_config`): Dream's LM with
 *   multimodal rotary positions, the Qwen2.5-VL tower and its MLP projector (`dimple-config.ts`).
 *
 * The field names are those of the public code (ML-GSAI/LLaDA-V, NKU-HLT/DIFFA, yu-rp/Dimple);
 * no real config.json of these checkpoints was available offline, so each schema states what it
 * reads and unknown fields are kept, not trusted.
 */
import { UnmaskError } from '@unmask/core';
import { expandGridPinpoints } from '@unmask/vision';
import { z } from 'zod';
import { architectureFromConfig, type LmArchitecture } from '../lm/checkpoint-config.js';
import { diffaAdapterLayout, type DiffaAdapterLayout } from '../towers/diffa-adapter-layout.js';
import { type DimplePlan, dimplePlan } from './dimple-config.js';
import { parseSiglipVisionConfig, SIGLIP_SO400M_PATCH14_384, type SiglipVisionConfig } from '../towers/siglip-graph.js';
import { parseWhisperEncoderConfig, type WhisperEncoderConfig } from '../towers/whisper-encoder-graph.js';

export interface LladaVPlan {
  readonly kind: 'llada-v';
  readonly lm: LmArchitecture;
  readonly vision: SiglipVisionConfig;
  /** Where the vision config came from (`vision_config`, or the preset named by `mm_vision_tower`). */
  readonly visionSource: string;
  /** Encoder layers left out at the end (from `mm_vision_select_layer`). */
  readonly dropLastLayers: number;
  readonly mmHiddenSize: number;
  /**
   * LLaVA's anyres tiling (`image_aspect_ratio` "anyres…" with `spatial_unpad`): the settings the
   * bundle's `vision.anyres` carries, pinpoints in pixels; the `image_newline` tensor comes from
   * the checkpoint. Undefined: one view per image.
   */
  readonly anyres?: {
    readonly image_aspect_ratio: string;
    readonly image_grid_pinpoints: readonly [number, number][];
    readonly mm_patch_merge_type: 'spatial_unpad';
  };
  /** Things of the real model the bundle does not do (said by the CLI and the docs). */
  readonly notes: readonly string[];
}

export interface DiffaPlan {
  readonly kind: 'diffa';
  readonly lm: LmArchitecture;
  readonly whisper: WhisperEncoderConfig;
  readonly adapter: DiffaAdapterLayout;
  readonly notes: readonly string[];
}

export type { DimplePlan } from './dimple-config.js';
export type MultimodalPlan = LladaVPlan | DiffaPlan | DimplePlan;

const count = z.number().int().positive();

const lladaVSchema = z.looseObject({
  mm_vision_tower: z.string().min(1).optional(),
  vision_config: z.record(z.string(), z.unknown()).optional(),
  mm_projector_type: z
    .literal('mlp2x_gelu', { error: 'only "mlp2x_gelu" (Linear → GELU → Linear) is implemented' })
    .default('mlp2x_gelu'),
  mm_hidden_size: count.optional(),
  mm_vision_select_layer: z
    .number()
    .int()
    .max(-1, { error: 'must count from the end (−1 = last layer, −2 = one before)' })
    .default(-2),
  mm_vision_select_feature: z
    .literal('patch', { error: 'only "patch" (all patch tokens, no CLS) is implemented' })
    .default('patch'),
  image_aspect_ratio: z.string().optional(),
  mm_patch_merge_type: z.string().optional(),
  /** A list of [width, height] pairs, its Python text, or a grid range "(1x1),...,(6x6)" (anyres-config.ts in @unmask/vision). */
  image_grid_pinpoints: z.unknown().optional(),
});

/** SigLIP towers known by the name `mm_vision_tower` gives, when config.json has no `vision_config`. */
const KNOWN_SIGLIP: ReadonlyArray<readonly [RegExp, Record<string, unknown>]> = [
  [/so400m-patch14-384/, SIGLIP_SO400M_PATCH14_384],
];

export type MultimodalKind = 'llada-v' | 'dimple' | 'diffa';

/** Which multimodal family config.json describes, or undefined for a plain LM. */
export function multimodalKind(config: Record<string, unknown>): MultimodalKind | undefined {
  const modelType = typeof config.model_type === 'string' ? config.model_type.toLowerCase() : '';
  const architectures = Array.isArray(config.architectures)
    ? config.architectures.map((a) => String(a).toLowerCase())
    : [];
  const has = (field: string) => config[field] !== undefined && config[field] !== null;
  if (modelType === 'diffa' || (has('whisper_config') && has('llm_config'))) return 'diffa';
  if (modelType.includes('dimple') || architectures.some((a) => a.includes('dimple'))) return 'dimple';
  const vision = config.vision_config;
  if (typeof vision === 'object' && vision !== null && ('fullatt_block_indexes' in vision || 'window_size' in vision))
    return 'dimple';
  if (modelType === 'llava_llada' || has('mm_vision_tower') || has('mm_projector_type')) return 'llada-v';
  return undefined;
}

/** The LM part of a config: LLaDA's fields (`d_model`, …) or Hugging Face Llama's (`hidden_size`, …). */
function lmArchitecture(config: Record<string, unknown>, file: string, field: string): LmArchitecture {
  const modelType = 'd_model' in config ? 'llada' : 'hidden_size' in config ? 'llama' : undefined;
  if (!modelType)
    throw new UnmaskError(
      'invalid_bundle',
      `${file}: ${field}: has neither LLaDA's d_model nor Llama's hidden_size; cannot tell the language model`,
      field,
    );
  return architectureFromConfig({ ...config, model_type: modelType }, `${file} (${field})`);
}

function fail(file: string, field: string, message: string): never {
  throw new UnmaskError('invalid_bundle', `${file}: ${field}: ${message}`, field);
}

function parse<T extends z.ZodType>(schema: T, raw: unknown, file: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(file, issue.path.join('.') || 'config', issue.message);
  }
  return parsed.data;
}

export function lladaVPlan(config: Record<string, unknown>, file = 'config.json'): LladaVPlan {
  const c = parse(lladaVSchema, config, file);
  const lm = lmArchitecture(config, file, 'language model fields');
  let raw: Record<string, unknown> | undefined = c.vision_config;
  let visionSource = `${file}: vision_config`;
  if (!raw) {
    const known =
      c.mm_vision_tower === undefined ? undefined : KNOWN_SIGLIP.find(([name]) => name.test(c.mm_vision_tower!));
    if (!known) {
      fail(
        file,
        'mm_vision_tower',
        `${c.mm_vision_tower === undefined ? 'is missing' : `"${c.mm_vision_tower}" is not a SigLIP tower the converter knows (so400m-patch14-384)`} and there is no vision_config describing the tower`,
      );
    }
    raw = known[1];
    visionSource = `${file}: mm_vision_tower "${c.mm_vision_tower}" (SigLIP so400m-patch14-384 sizes)`;
  }
  const vision = parseSiglipVisionConfig(raw, visionSource);
  const dropLastLayers = -1 - c.mm_vision_select_layer;
  if (dropLastLayers >= vision.num_hidden_layers)
    fail(
      file,
      'mm_vision_select_layer',
      `${c.mm_vision_select_layer} leaves no layer of the ${vision.num_hidden_layers}`,
    );
  const mmHiddenSize = c.mm_hidden_size ?? vision.hidden_size;
  if (mmHiddenSize !== vision.hidden_size)
    fail(file, 'mm_hidden_size', `is ${mmHiddenSize}, but the vision tower is ${vision.hidden_size} wide`);
  const notes: string[] = [];
  const anyres = lladaVAnyres(c, vision.image_size, file, notes);
  return {
    kind: 'llada-v',
    lm: { ...lm, modelType: typeof config.model_type === 'string' ? config.model_type : 'llava_llada' },
    vision,
    visionSource,
    dropLastLayers,
    mmHiddenSize,
    ...(anyres ? { anyres } : {}),
    notes,
  };
}

/**
 * The anyres settings of a LLaDA-V config (LLaVA's `process_images` / `prepare_inputs_labels_for_multimodal`
 * read `image_aspect_ratio`, `image_grid_pinpoints`, `mm_patch_merge_type`); tiles are the tower's
 * `image_size`. Other aspect ratios keep one view per image, as do anyres merges other than
 * `spatial_unpad` (with a note: not implemented).
 */
function lladaVAnyres(
  c: z.infer<typeof lladaVSchema>,
  tile: number,
  file: string,
  notes: string[],
): LladaVPlan['anyres'] {
  const ratio = c.image_aspect_ratio;
  if (ratio === undefined || !ratio.startsWith('anyres')) return undefined;
  if (!/^anyres(_max_[1-9][0-9]*)?$/.test(ratio))
    fail(file, 'image_aspect_ratio', `"${ratio}" is not "anyres" or "anyres_max_N"`);
  const merge = c.mm_patch_merge_type ?? 'flat';
  if (merge !== 'spatial_unpad') {
    notes.push(
      `image_aspect_ratio "${ratio}" with mm_patch_merge_type "${merge}": only "spatial_unpad" is implemented; the bundle encodes one ${tile} × ${tile} view per image`,
    );
    return undefined;
  }
  if (c.image_grid_pinpoints === undefined || c.image_grid_pinpoints === null)
    fail(file, 'image_grid_pinpoints', `is missing; image_aspect_ratio "${ratio}" tiles images at these resolutions`);
  let pinpoints: [number, number][];
  try {
    pinpoints = expandGridPinpoints(c.image_grid_pinpoints, tile, `${file}: image_grid_pinpoints`);
  } catch (error) {
    if (error instanceof UnmaskError)
      fail(file, 'image_grid_pinpoints', error.message.replace(/^.*?image_grid_pinpoints: /, ''));
    throw error;
  }
  const bad = pinpoints.find(([w, h]) => w % tile !== 0 || h % tile !== 0);
  if (bad)
    fail(
      file,
      'image_grid_pinpoints',
      `[${bad.join(', ')}] is not a whole number of the tower's ${tile} × ${tile} tiles`,
    );
  return { image_aspect_ratio: ratio, image_grid_pinpoints: pinpoints, mm_patch_merge_type: 'spatial_unpad' };
}

export function diffaPlan(config: Record<string, unknown>, file = 'config.json'): DiffaPlan {
  const llm = config.llm_config;
  if (typeof llm !== 'object' || llm === null || Array.isArray(llm))
    fail(file, 'llm_config', "must be the language model's config (an object)");
  const lm = lmArchitecture(llm as Record<string, unknown>, file, 'llm_config');
  const whisper = parseWhisperEncoderConfig(config.whisper_config, `${file}: whisper_config`);
  let adapter: DiffaAdapterLayout;
  try {
    adapter = diffaAdapterLayout(config, file);
  } catch (error) {
    if (error instanceof RangeError) fail(file, 'whisper_model_id', error.message);
    throw error;
  }
  if (adapter.lmWidth !== lm.hiddenSize)
    fail(file, 'llm_config.d_model', `${adapter.lmWidth} differs from the language model's width ${lm.hiddenSize}`);
  return { kind: 'diffa', lm: { ...lm, modelType: 'diffa' }, whisper, adapter, notes: [] };
}

/** The plan for a multimodal config; undefined for a plain LM. */
export function multimodalPlan(config: Record<string, unknown>, file = 'config.json'): MultimodalPlan | undefined {
  switch (multimodalKind(config)) {
    case undefined:
      return undefined;
    case 'llada-v':
      return lladaVPlan(config, file);
    case 'diffa':
      return diffaPlan(config, file);
    case 'dimple':
      return dimplePlan(config, file);
  }
}

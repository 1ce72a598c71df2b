/**
 * The prompt side of a Dimple bundle. Unlike LLaDA-V and DIFFA, Dimple marks image positions
 * with a real token of its tokenizer (`<|image_pad|>`, `image_token_id` in config.json), between
 * `<|vision_start|>` and `<|vision_end|>`; the bundle keeps that token as the placeholder (the
 * pipeline repeats it once per merged patch) and its chat template renders an image part as the
 * three tokens. The image processor is Qwen2-VL's (Dimple's own `DimpleImageProcessor` resizes,
 * normalises and patchifies the same way), so the bundle's processor config names
 * `Qwen2VLImageProcessor` with Dimple's pixel bounds.
 */
import { type TokenRef, TextTokenizer, UnmaskError } from '@unmask/core';
import { parseImageProcessorConfig } from '@unmask/vision';
import type { DimplePlan } from './dimple-config.js';
import type { Qwen2VlVisionConfig } from '../towers/qwen2-vl-vision-graph.js';

export const DIMPLE_IMAGE_PAD = '<|image_pad|>';
export const DIMPLE_VISION_START = '<|vision_start|>';
export const DIMPLE_VISION_END = '<|vision_end|>';

export interface DimpleImagePrompt {
  readonly placeholder: TokenRef;
  /** What an image part of a message becomes in the prompt text. */
  readonly text: string;
}

/** The image tokens of a Dimple tokenizer, checked against config.json's ids. */
export function dimpleImagePrompt(plan: DimplePlan, tokenizerFile: string, vocabSize: number): DimpleImagePrompt {
  const tokenizer = TextTokenizer.fromFile(tokenizerFile);
  const fail = (message: string, param: string): never => {
    throw new UnmaskError('invalid_bundle', `${tokenizerFile}: ${message}`, param);
  };
  const token = (
    id: number | undefined,
    name: string,
    field: string,
    required: boolean,
  ): { token: string; id: number } | undefined => {
    const byName = tokenizer.tokenToId(name);
    if (id === undefined) {
      if (byName === undefined && required) fail(`has no ${name} token and config.json gives no ${field}`, field);
      return byName === undefined ? undefined : { token: name, id: byName };
    }
    const text = tokenizer.idToToken(id);
    if (text === undefined) return fail(`config.json's ${field} ${id} is not a token of the tokenizer`, field);
    if (byName !== undefined && byName !== id)
      fail(`${name} is id ${byName}, but config.json's ${field} is ${id}`, field);
    return { token: text, id };
  };
  const pad = token(plan.imageTokenId, DIMPLE_IMAGE_PAD, 'image_token_id', true)!;
  if (pad.id >= vocabSize)
    fail(
      `the image token ${pad.token} (id ${pad.id}) is outside the model's ${vocabSize} embedding rows`,
      'image_token_id',
    );
  if (tokenizer.encode(`a${pad.token}b`).filter((t) => t === pad.id).length !== 1)
    fail(`the image token ${pad.token} does not encode as one token`, 'image_token_id');
  const start = token(plan.visionStartTokenId, DIMPLE_VISION_START, 'vision_start_token_id', false);
  const end = token(plan.visionEndTokenId, DIMPLE_VISION_END, 'vision_end_token_id', false);
  return {
    placeholder: { token: pad.token, id: pad.id },
    text: `${start?.token ?? ''}${pad.token}${end?.token ?? ''}`,
  };
}

const QWEN2_VL_TYPES = new Set([
  'DimpleImageProcessor',
  'Qwen2VLImageProcessor',
  'Qwen2VLImageProcessorFast',
  'Qwen2_5_VLImageProcessor',
]);

/**
 * Dimple's `preprocessor_config.json` as the bundle's Qwen2-VL processor config: the type renamed,
 * a `size` of `{min_pixels, max_pixels}` (DimpleImageProcessor's form) moved to the top-level
 * fields, and the patch sizes checked against the vision tower's.
 */
export function dimpleProcessorConfig(
  raw: Record<string, unknown>,
  vision: Qwen2VlVisionConfig,
  file: string,
): Record<string, unknown> {
  const type = raw.image_processor_type;
  if (type !== undefined && !QWEN2_VL_TYPES.has(String(type))) {
    throw new UnmaskError(
      'invalid_bundle',
      `${file}: image_processor_type is "${String(type)}"; Dimple's tower needs Qwen2-VL preprocessing (DimpleImageProcessor or Qwen2VLImageProcessor)`,
      'image_processor_type',
    );
  }
  const { size, auto_map: _autoMap, processor_class: _processorClass, ...rest } = raw;
  const out: Record<string, unknown> = { ...rest, image_processor_type: 'Qwen2VLImageProcessor' };
  if (size && typeof size === 'object' && ('min_pixels' in size || 'max_pixels' in size)) {
    const bounds = size as { min_pixels?: unknown; max_pixels?: unknown };
    out.min_pixels ??= bounds.min_pixels;
    out.max_pixels ??= bounds.max_pixels;
  } else if (size !== undefined) out.size = size;
  const expect: [string, number][] = [
    ['patch_size', vision.patch_size],
    ['temporal_patch_size', vision.temporal_patch_size],
    ['merge_size', vision.spatial_merge_size],
  ];
  for (const [field, value] of expect) {
    if (out[field] !== undefined && out[field] !== value) {
      throw new UnmaskError(
        'invalid_bundle',
        `${file}: ${field} is ${String(out[field])}, but the vision tower (config.json vision_config) uses ${value}`,
        field,
      );
    }
    out[field] = value;
  }
  parseImageProcessorConfig(out, file);
  return out;
}

/**
 * Image processor configurations, shaped like Hugging Face `preprocessor_config.json` so that a
 * bundle manifest's `vision.processor` section can carry a checkpoint's file unchanged. Fields
 * this runtime does not use (`processor_class`, ...) are kept and ignored; fields that would
 * change the result but are not implemented (`do_center_crop: true`, ...) are refused.
 *
 * Chosen by `image_processor_type`:
 * - `SiglipImageProcessor` / `CLIPImageProcessor` (and their `Fast` names) with
 *   `size: {height, width}`: fixed-size resize, rescale, normalise → `pixel_values` [3, H, W].
 * - `Qwen2VLImageProcessor` (also used by Qwen2.5-VL): smart resize, patchify →
 *   `pixel_values` [patches, 3·T·P·P] and `image_grid_thw` [1, 3].
 * - `UnmaskImageProcessor`: this project's default model, a square `image_size` cut into
 *   `patch_size` patches merged `merge_size` × `merge_size` → (S / (P·M))² image tokens.
 *
 * One extension field: `resize_arithmetic` (`'torchvision'`, default, or `'pillow'`) picks whose
 * integer resize arithmetic to reproduce (transformers' fast or slow processors).
 */
import { z } from 'zod';
import { UnmaskError } from '@unmask/core';
import { PIL_RESAMPLE_CODES, type ResampleFilter } from './resample.js';
import { parseSection } from './parse-section.js';

export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
const HALF = [0.5, 0.5, 0.5] as const;

type Triple = [number, number, number];

const triple = (fallback: readonly [number, number, number]) =>
  z
    .union([z.number(), z.tuple([z.number(), z.number(), z.number()])])
    .default([...fallback] as Triple)
    .transform((v): Triple => (typeof v === 'number' ? [v, v, v] : v));

const positiveStd = (std: Triple) => std.every((s) => s > 0);

const resample = z
  .number()
  .int()
  .refine((v) => v in PIL_RESAMPLE_CODES, {
    message: 'resample must be a PIL code 0..5 (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)',
  })
  .default(3);

const common = {
  do_convert_rgb: z.boolean().optional(),
  do_resize: z.boolean().default(true),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  resample,
  resize_arithmetic: z.enum(['torchvision', 'pillow']).default('torchvision'),
  do_center_crop: z
    .literal(false, { message: 'do_center_crop is not supported; give size as {height, width}' })
    .optional(),
  do_pad: z.literal(false, { message: 'do_pad is not supported' }).optional(),
};

const side = z.number().int().positive().max(8192);

export const fixedSizeProcessorSchema = z.looseObject({
  image_processor_type: z.enum([
    'SiglipImageProcessor',
    'SiglipImageProcessorFast',
    'CLIPImageProcessor',
    'CLIPImageProcessorFast',
  ]),
  ...common,
  size: z.object(
    { height: side, width: side },
    { message: 'size must be {height, width} (shortest_edge sizing is not supported)' },
  ),
  image_mean: triple(HALF),
  image_std: triple(HALF).refine(positiveStd, { message: 'image_std entries must be > 0' }),
});

export const qwen2VlProcessorSchema = z
  .looseObject({
    image_processor_type: z.enum(['Qwen2VLImageProcessor', 'Qwen2VLImageProcessorFast']),
    ...common,
    size: z
      .object({ shortest_edge: z.number().int().positive(), longest_edge: z.number().int().positive() })
      .optional(),
    min_pixels: z.number().int().positive().optional(),
    max_pixels: z.number().int().positive().optional(),
    patch_size: z.number().int().positive().default(14),
    temporal_patch_size: z.number().int().positive().default(2),
    merge_size: z.number().int().positive().default(2),
    image_mean: triple(OPENAI_CLIP_MEAN),
    image_std: triple(OPENAI_CLIP_STD).refine(positiveStd, { message: 'image_std entries must be > 0' }),
  })
  .transform((c) => {
    // As transformers: explicit min_pixels / max_pixels override size; defaults 56² and 28²·1280.
    const minPixels = c.min_pixels ?? c.size?.shortest_edge ?? 56 * 56;
    const maxPixels = c.max_pixels ?? c.size?.longest_edge ?? 28 * 28 * 1280;
    return {
      ...c,
      min_pixels: minPixels,
      max_pixels: maxPixels,
      size: { shortest_edge: minPixels, longest_edge: maxPixels },
    };
  })
  .refine((c) => c.min_pixels <= c.max_pixels, {
    message: 'min_pixels (size.shortest_edge) must not exceed max_pixels (size.longest_edge)',
    path: ['min_pixels'],
  });

export const unmaskProcessorSchema = z
  .looseObject({
    image_processor_type: z.literal('UnmaskImageProcessor'),
    ...common,
    image_size: side.default(96),
    patch_size: z.number().int().positive().default(16),
    merge_size: z.number().int().positive().default(2),
    /** Feature rows the vision graph emits per merged patch token (2 when it puts a constant row, e.g. a cell marker, before each). */
    rows_per_token: z.number().int().positive().default(1),
    image_mean: triple(HALF),
    image_std: triple(HALF).refine(positiveStd, { message: 'image_std entries must be > 0' }),
  })
  .refine((c) => c.image_size % (c.patch_size * c.merge_size) === 0, {
    message: 'image_size must be a multiple of patch_size × merge_size',
    path: ['image_size'],
  });

/** The `vision.processor` section of a bundle manifest. */
export const imageProcessorConfigSchema = z.discriminatedUnion('image_processor_type', [
  fixedSizeProcessorSchema,
  qwen2VlProcessorSchema,
  unmaskProcessorSchema,
]);

export type FixedSizeProcessorConfig = z.output<typeof fixedSizeProcessorSchema>;
export type Qwen2VlProcessorConfig = z.output<typeof qwen2VlProcessorSchema>;
export type UnmaskProcessorConfig = z.output<typeof unmaskProcessorSchema>;
export type ImageProcessorConfig = z.output<typeof imageProcessorConfigSchema>;
export type ImageProcessorConfigInput = z.input<typeof imageProcessorConfigSchema>;

/**
 * Validates a processor configuration; `source` (e.g. "manifest.json vision.processor") prefixes
 * the error, which names the first offending field.
 */
export function parseImageProcessorConfig(value: unknown, source = 'vision.processor'): ImageProcessorConfig {
  return parseSection(imageProcessorConfigSchema, value, source);
}

export function resampleFilter(code: number): ResampleFilter {
  const filter = PIL_RESAMPLE_CODES[code];
  if (!filter)
    throw new UnmaskError('invalid_bundle', `resample code ${code} is not a PIL resampling filter`, 'resample');
  return filter;
}

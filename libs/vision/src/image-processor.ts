/**
 * `createImageProcessor(config)`: an RgbImage → the tensors a vision encoder takes, for each of
 * the configurations in processor-config.ts.
 */
import type { TensorData } from '@unmask/core';
import { UnmaskError } from '@unmask/core';
import { toChannelsFirst, type NormalizeOptions } from './normalize.js';
import { patchifyFrame } from './patchify.js';
import {
  parseImageProcessorConfig,
  resampleFilter,
  type FixedSizeProcessorConfig,
  type ImageProcessorConfig,
  type Qwen2VlProcessorConfig,
  type UnmaskProcessorConfig,
} from './processor-config.js';
import { resizeRgb } from './resample.js';
import { assertRgbImage, type RgbImage } from './rgb-image.js';
import { smartResize } from './smart-resize.js';

export interface ProcessedImage {
  /** float32: [3, H, W] for fixed-size processors, [patches, 3·T·P·P] for Qwen2-VL. */
  readonly pixel_values: TensorData;
  /** (t, h, w) in patches, Qwen2-VL only; numbers until the encoder builds its [1, 3] tensor. */
  readonly image_grid_thw?: readonly [t: number, h: number, w: number];
}

export interface ImageProcessor {
  readonly config: ImageProcessorConfig;
  /** The size (width × height) an image of the given size is resized to. */
  targetSize(width: number, height: number): { width: number; height: number };
  /**
   * How many image features (placeholder tokens) the vision tower emits for an image of this
   * size, when the processor alone determines it; undefined for SigLIP / CLIP (depends on the model).
   */
  featureCount(width: number, height: number): number | undefined;
  preprocess(image: RgbImage): ProcessedImage;
}

type CommonConfig = Pick<
  FixedSizeProcessorConfig,
  | 'do_resize'
  | 'do_rescale'
  | 'rescale_factor'
  | 'do_normalize'
  | 'image_mean'
  | 'image_std'
  | 'resample'
  | 'resize_arithmetic'
>;

function normalizeOptions(c: CommonConfig): NormalizeOptions {
  return {
    ...(c.do_rescale ? { rescaleFactor: c.rescale_factor } : {}),
    ...(c.do_normalize ? { mean: c.image_mean, std: c.image_std } : {}),
  };
}

function resized(image: RgbImage, width: number, height: number, c: CommonConfig): RgbImage {
  if (!c.do_resize || (image.width === width && image.height === height)) return image;
  return resizeRgb(image, width, height, { filter: resampleFilter(c.resample), arithmetic: c.resize_arithmetic });
}

function channelsFirst(image: RgbImage, c: CommonConfig): ProcessedImage {
  return {
    pixel_values: {
      type: 'float32',
      dims: [3, image.height, image.width],
      data: toChannelsFirst(image, normalizeOptions(c)),
    },
  };
}

function fixedSize(config: FixedSizeProcessorConfig): ImageProcessor {
  const { height, width } = config.size;
  return {
    config,
    targetSize: (w, h) => (config.do_resize ? { width, height } : { width: w, height: h }),
    featureCount: () => undefined,
    preprocess(image) {
      assertRgbImage(image);
      return channelsFirst(resized(image, width, height, config), config);
    },
  };
}

function unmask(config: UnmaskProcessorConfig): ImageProcessor {
  const s = config.image_size;
  const side = s / (config.patch_size * config.merge_size);
  return {
    config,
    targetSize: () => ({ width: s, height: s }),
    featureCount: () => side * side * config.rows_per_token,
    preprocess(image) {
      assertRgbImage(image);
      const out = resized(image, s, s, { ...config, do_resize: true });
      return channelsFirst(out, config);
    },
  };
}

function qwen2Vl(config: Qwen2VlProcessorConfig): ImageProcessor {
  const factor = config.patch_size * config.merge_size;
  const targetSize = (width: number, height: number) => {
    if (!config.do_resize) return { width, height };
    const t = smartResize(height, width, { factor, minPixels: config.min_pixels, maxPixels: config.max_pixels });
    return { width: t.width, height: t.height };
  };
  return {
    config,
    targetSize,
    featureCount(width, height) {
      const t = targetSize(width, height);
      return (t.width / factor) * (t.height / factor);
    },
    preprocess(image) {
      assertRgbImage(image);
      const target = targetSize(image.width, image.height);
      const out = resized(image, target.width, target.height, config);
      if (out.width % factor !== 0 || out.height % factor !== 0) {
        throw new UnmaskError(
          'invalid_media',
          `image is ${out.width}×${out.height}; with do_resize false both sides must be multiples of ${factor}`,
          'image',
        );
      }
      const frame = toChannelsFirst(out, normalizeOptions(config));
      const patches = patchifyFrame(frame, out.height, out.width, {
        patchSize: config.patch_size,
        mergeSize: config.merge_size,
        temporalPatchSize: config.temporal_patch_size,
      });
      return {
        pixel_values: { type: 'float32', dims: [patches.rows, patches.rowLength], data: patches.data },
        image_grid_thw: patches.gridThw,
      };
    },
  };
}

/** Builds the processor a configuration describes (validated first: raw JSON is fine). */
export function createImageProcessor(config: unknown, source?: string): ImageProcessor {
  const parsed = parseImageProcessorConfig(config, source);
  switch (parsed.image_processor_type) {
    case 'Qwen2VLImageProcessor':
    case 'Qwen2VLImageProcessorFast':
      return qwen2Vl(parsed);
    case 'UnmaskImageProcessor':
      return unmask(parsed);
    default:
      return fixedSize(parsed);
  }
}

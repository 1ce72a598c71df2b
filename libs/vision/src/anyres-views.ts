/**
 * The views of an anyres image (LLaVA's `process_anyres_image`, ML-GSAI/LLaDA-V
 * `train/llava/mm_utils.py`): the image resized to fit the best pinpoint resolution keeping its
 * aspect ratio (the filled side exact, the other rounded up), centred on black, cut into
 * `tile` × `tile` tiles row by row; before them the base view, the whole image squashed to
 * `tile` × `tile`. Both resizes are PIL's `Image.resize` default (bicubic, Pillow's arithmetic),
 * whatever the processor's own `resample`: upstream resizes here with PIL before the processor
 * sees a view, and the processor then has nothing left to resize.
 *
 * `createAnyresProcessor` runs each view through the bundle's fixed-size processor (rescale,
 * normalise) into one `pixel_values` [views, 3, tile, tile].
 */
import { UnmaskError, type TensorData } from '@unmask/core';
import { anyresGrid, type AnyresGrid } from './anyres-grid.js';
import { assertPinpointsTile, type AnyresConfig } from './anyres-config.js';
import type { ImageProcessor } from './image-processor.js';
import { resizeRgb } from './resample.js';
import { assertRgbImage, type RgbImage } from './rgb-image.js';

export interface AnyresViews {
  readonly grid: AnyresGrid;
  /** The base view first, then the grid's tiles row by row. */
  readonly views: readonly RgbImage[];
}

const PIL_DEFAULT = { filter: 'bicubic', arithmetic: 'pillow' } as const;

/** `image` resized into `width` × `height` keeping its aspect ratio, centred on black. */
export function resizeAndPad(image: RgbImage, width: number, height: number): RgbImage {
  const scaleW = width / image.width;
  const scaleH = height / image.height;
  let newW = width;
  let newH = height;
  if (scaleW < scaleH) newH = Math.min(Math.ceil(image.height * scaleW), height);
  else newW = Math.min(Math.ceil(image.width * scaleH), width);
  const resized = resizeRgb(image, newW, newH, PIL_DEFAULT);
  const out = new Uint8Array(width * height * 3);
  const left = Math.floor((width - newW) / 2);
  const top = Math.floor((height - newH) / 2);
  for (let y = 0; y < newH; y++) {
    out.set(resized.data.subarray(y * newW * 3, (y + 1) * newW * 3), ((top + y) * width + left) * 3);
  }
  return { width, height, data: out };
}

/** The `tile` × `tile` crop of `image` at (x, y). */
function crop(image: RgbImage, x: number, y: number, tile: number): RgbImage {
  const out = new Uint8Array(tile * tile * 3);
  for (let row = 0; row < tile; row++) {
    const from = ((y + row) * image.width + x) * 3;
    out.set(image.data.subarray(from, from + tile * 3), row * tile * 3);
  }
  return { width: tile, height: tile, data: out };
}

export function anyresViews(
  image: RgbImage,
  pinpoints: readonly (readonly [number, number])[],
  tile: number,
): AnyresViews {
  assertRgbImage(image);
  const grid = anyresGrid(image.width, image.height, pinpoints, tile);
  const padded = resizeAndPad(image, grid.width, grid.height);
  const views: RgbImage[] = [resizeRgb(image, tile, tile, PIL_DEFAULT)];
  for (let r = 0; r < grid.rows; r++)
    for (let c = 0; c < grid.columns; c++) views.push(crop(padded, c * tile, r * tile, tile));
  return { grid, views };
}

export interface AnyresProcessed {
  /** float32 [views, 3, tile, tile]: the base view, then the tiles row by row. */
  readonly pixel_values: TensorData;
  readonly grid: AnyresGrid;
  /** The image's own size, which the feature layout unpads to. */
  readonly image_size: readonly [width: number, height: number];
}

export interface AnyresProcessor {
  readonly config: AnyresConfig;
  /** The tile side in pixels (the processor's square `size`). */
  readonly tile: number;
  /** The grid a `width` × `height` image is cut into (from its size alone). */
  grid(width: number, height: number): AnyresGrid;
  preprocess(image: RgbImage): AnyresProcessed;
}

/**
 * Anyres over a fixed-size processor whose `size` is square: that side is the tile. Refuses
 * other processors and pinpoints that are not whole tiles.
 */
export function createAnyresProcessor(processor: ImageProcessor, config: AnyresConfig): AnyresProcessor {
  const c = processor.config;
  const size = 'size' in c ? (c.size as { height?: number; width?: number } | undefined) : undefined;
  if (
    c.image_processor_type.startsWith('Qwen2VL') ||
    c.image_processor_type === 'UnmaskImageProcessor' ||
    size?.height === undefined ||
    size.height !== size.width
  ) {
    throw new UnmaskError(
      'invalid_bundle',
      `vision.anyres needs a fixed-size processor with a square size (the tile), not ${c.image_processor_type}${size?.height !== undefined ? ` of ${size.width}×${size.height}` : ''}`,
      'vision.processor',
    );
  }
  const tile = size.height;
  assertPinpointsTile(config, tile);
  return {
    config,
    tile,
    grid: (width, height) => anyresGrid(width, height, config.image_grid_pinpoints, tile),
    preprocess(image) {
      const { grid, views } = anyresViews(image, config.image_grid_pinpoints, tile);
      const plane = 3 * tile * tile;
      const data = new Float32Array(views.length * plane);
      views.forEach((view, i) => {
        const processed = processor.preprocess(view).pixel_values;
        if (processed.dims.join() !== [3, tile, tile].join()) {
          throw new UnmaskError(
            'invalid_bundle',
            `vision.processor turns a ${tile}×${tile} view into [${processed.dims.join(', ')}], not [3, ${tile}, ${tile}]`,
            'vision.processor',
          );
        }
        data.set(processed.data as Float32Array, i * plane);
      });
      return {
        pixel_values: { type: 'float32', dims: [views.length, 3, tile, tile], data },
        grid,
        image_size: [image.width, image.height],
      };
    },
  };
}

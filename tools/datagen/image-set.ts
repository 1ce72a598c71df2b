/**
 * Image training data for the default model's vision stage: random shapes-world scenes, drawn by
 * one of the two renderers at the scene's own size, encoded as PNG, JPEG (quality ≥ 70) or WebP,
 * then decoded and preprocessed by libs/vision exactly as at inference. Writes
 *   pixel_values.npy  float16 [N, 3, S, S]   what the vision graph receives
 *   scenes.jsonl      one scene per line: {scene, cells, renderer, format, quality}
 *   processor.json    the image processor config used (the bundle manifest copies it)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createImageProcessor, decodeImage } from '@unmask/vision';
import { renderRaster, renderSvg, sampleScene, sceneCells, type ImageFormat, type Rng } from '../worlds/src/index.js';
import { NpyWriter } from './npy.js';

/** The default model's image processor: 96 × 96, patch 16, 2 × 2 merge → 9 tokens. */
export const DEFAULT_PROCESSOR = {
  image_processor_type: 'UnmaskImageProcessor',
  do_resize: true,
  resample: 3,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
  image_size: 96,
  patch_size: 16,
  merge_size: 2,
} as const;

export interface ImageSetOptions {
  readonly count: number;
  readonly rng: Rng;
  readonly out: string;
  readonly processor?: Record<string, unknown>;
  readonly onProgress?: (done: number) => void;
}

export async function writeImageSet(options: ImageSetOptions): Promise<void> {
  const { count, rng, out } = options;
  const config = options.processor ?? DEFAULT_PROCESSOR;
  const processor = createImageProcessor(config);
  const size = processor.targetSize(64, 64);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'processor.json'), `${JSON.stringify(config, null, 2)}\n`);
  const pixels = new NpyWriter(join(out, 'pixel_values.npy'), 'float16', [count, 3, size.height, size.width]);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const scene = sampleScene(rng);
    const renderer = rng.bool() ? 'svg' : 'raster';
    const format: ImageFormat = rng.pick(['png', 'png', 'jpeg', 'webp'] as const);
    const encode = { format, quality: rng.int(70, 95) };
    const bytes = renderer === 'svg' ? await renderSvg(scene, encode) : await renderRaster(scene, encode);
    const processed = processor.preprocess(await decodeImage(new Uint8Array(bytes)));
    pixels.append(processed.pixel_values.data as Float32Array);
    lines.push(JSON.stringify({ scene, cells: sceneCells(scene), renderer, ...encode }));
    options.onProgress?.(i + 1);
  }
  pixels.close();
  writeFileSync(join(out, 'scenes.jsonl'), `${lines.join('\n')}\n`);
}

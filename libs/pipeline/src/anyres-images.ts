/**
 * A bundle's anyres image path (manifest `vision.anyres`, docs/bundle-format.md): the image is cut
 * into views by @unmask/vision's anyres processor (on the preprocessing thread: ImageTower passes
 * the views in), each view goes through the vision tower and
 * projector, and the views' rows are merged into the prompt's rows (anyres-rows.ts) with the
 * bundle's learned `image_newline`. `rows(width, height)` gives the count from the size alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensorsHeader, toFloat32, UnmaskError, type Bundle } from '@unmask/core';
import {
  anyresMaxPatches,
  createAnyresProcessor,
  createImageProcessor,
  parseAnyresConfig,
  type AnyresProcessed,
  type AnyresProcessor,
  type VisionEncoder,
} from '@unmask/vision';
import { anyresLayout, mergeAnyresFeatures, type AnyresLayout } from './anyres-rows.js';

/** The newline row: the one float tensor of a safetensors file, `hidden` wide. */
export function readImageNewline(path: string, hidden: number, field: string): Float32Array {
  const fail = (why: string) => new UnmaskError('invalid_bundle', `${path}: ${why}`, field);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw fail(
      `cannot read the image_newline file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const header = parseSafetensorsHeader(
    (offset, length) => bytes.subarray(offset, offset + length),
    bytes.length,
    fail,
  );
  const [entry, ...rest] = header.entries;
  if (!entry || rest.length > 0) throw fail(`must hold exactly one tensor, holds ${header.entries.length}`);
  const n = entry.shape.reduce((a, b) => a * b, 1);
  if (n !== hidden)
    throw fail(`"${entry.name}" has ${n} values ([${entry.shape.join(', ')}]); the LM's hidden size is ${hidden}`);
  try {
    const start = header.dataStart + entry.begin;
    return Float32Array.from(toFloat32(entry.dtype, bytes.subarray(start, start + entry.byteLength), n));
  } catch (error) {
    throw fail(`"${entry.name}": ${(error as Error).message}`);
  }
}

export class AnyresImages {
  private constructor(
    readonly processor: AnyresProcessor,
    private readonly side: number,
    private readonly maxPatches: number | undefined,
    private readonly newline: Float32Array,
    private readonly hidden: number,
  ) {}

  /** The bundle's anyres path, or undefined when its manifest has no `vision.anyres`. */
  static open(bundle: Bundle): AnyresImages | undefined {
    const section = bundle.manifest.vision;
    if (!section || section.anyres === undefined) return undefined;
    const source = `${bundle.dir}/manifest.json: vision.anyres`;
    const config = parseAnyresConfig(section.anyres, source);
    const perView = section.tokens_per_image;
    const side = perView.kind === 'fixed' ? Math.round(Math.sqrt(perView.count)) : 0;
    if (perView.kind !== 'fixed' || side * side !== perView.count) {
      throw new UnmaskError(
        'invalid_bundle',
        `${bundle.dir}/manifest.json: vision.tokens_per_image: with vision.anyres it gives the rows of one view, a square count (729 for SigLIP 384/14); got ${JSON.stringify(perView)}`,
        'vision.tokens_per_image',
      );
    }
    const processor = createAnyresProcessor(
      createImageProcessor(section.processor, `${bundle.dir}/manifest.json: vision.processor`),
      config,
    );
    const hidden = bundle.info.hiddenSize;
    const newline = readImageNewline(join(bundle.dir, config.image_newline), hidden, 'vision.anyres.image_newline');
    return new AnyresImages(processor, side, anyresMaxPatches(config), newline, hidden);
  }

  /** Where each row of a `width` × `height` image comes from; `.rows` is the prompt positions it takes. */
  layout(width: number, height: number): AnyresLayout {
    return anyresLayout(width, height, this.processor.grid(width, height), this.side, this.maxPatches);
  }

  /** The prompt positions a `width` × `height` image takes (from its header alone). */
  rows(width: number, height: number): number {
    return this.layout(width, height).rows;
  }

  /**
   * An image's views (`processor.preprocess`, or the preprocessing thread's `views`) → tower and
   * projector, one view at a time → the merged rows, `rows × hidden` floats.
   */
  async encode(processed: AnyresProcessed, encoder: VisionEncoder): Promise<{ tokens: number; data: Float32Array }> {
    const [views, , tile] = processed.pixel_values.dims as [number, number, number, number];
    const plane = 3 * tile * tile;
    const perView = this.side * this.side;
    const rows = new Float32Array(views * perView * this.hidden);
    const pixels = processed.pixel_values.data as Float32Array;
    for (let v = 0; v < views; v++) {
      const features = await encoder.encodeProcessed({
        pixel_values: { type: 'float32', dims: [3, tile, tile], data: pixels.slice(v * plane, (v + 1) * plane) },
      });
      if (features.tokens !== perView || features.hidden !== this.hidden) {
        throw new UnmaskError(
          'invalid_bundle',
          `the vision graphs return [${features.tokens}, ${features.hidden}] for one ${tile}×${tile} view; vision.tokens_per_image and the LM's hidden size say [${perView}, ${this.hidden}]`,
          'vision.tokens_per_image',
        );
      }
      rows.set(features.image_embeds.data as Float32Array, v * perView * this.hidden);
    }
    const layout = this.layout(...processed.image_size);
    return { tokens: layout.rows, data: mergeAnyresFeatures(rows, layout, this.newline, this.hidden) };
  }
}

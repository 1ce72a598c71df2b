import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { UnmaskError } from '@unmask/core';
import { anyresGrid, selectBestResolution } from './anyres-grid.js';
import { expandGridPinpoints, parseAnyresConfig } from './anyres-config.js';
import { anyresViews, createAnyresProcessor, resizeAndPad } from './anyres-views.js';
import { createImageProcessor } from './image-processor.js';
import type { RgbImage } from './rgb-image.js';
import { anyresPattern } from './test-support/anyres-pattern.js';
import { fixturePath } from './test-support/fixtures.js';

/**
 * ML-GSAI/LLaDA-V's own `process_images` → `process_anyres_image` (and `select_best_resolution`,
 * `get_anyres_image_grid_shape`) run on these images, with the SigLipImageProcessor of its
 * siglip_encoder.py: test-fixtures/upstream-anyres/README.md.
 */
interface UpstreamCase {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly best_resolution: [number, number];
  readonly grid: [number, number];
  readonly views: number;
  /** Per view, its bytes (recovered from pixel_values): sum, and Σ byte[i]·((i mod 65521) + 1) over the [3, 384, 384] order. */
  readonly view_bytes: [number, number][];
}

const upstream = JSON.parse(readFileSync(fixturePath('upstream-anyres/views.json'), 'utf8')) as {
  pinpoints: string;
  cases: UpstreamCase[];
};

const PINPOINTS = expandGridPinpoints(upstream.pinpoints, 384);
const siglip384 = createImageProcessor({
  image_processor_type: 'SiglipImageProcessor',
  size: { height: 384, width: 384 },
  resample: 3,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
});
const config = parseAnyresConfig({
  image_aspect_ratio: 'anyres_max_4',
  image_grid_pinpoints: PINPOINTS,
  mm_patch_merge_type: 'spatial_unpad',
  image_newline: 'image_newline.safetensors',
});

describe('anyres views = LLaDA-V’s process_anyres_image (ML-GSAI/LLaDA-V, Debian torch 1.13 + Pillow 9.4)', () => {
  const processor = createAnyresProcessor(siglip384, config);
  for (const c of upstream.cases) {
    it(`${c.name} ${c.width}×${c.height}: resolution ${c.best_resolution.join('×')}, grid ${c.grid.join('×')}, every view's bytes`, () => {
      assert.deepEqual(selectBestResolution(c.width, c.height, PINPOINTS), c.best_resolution);
      const grid = processor.grid(c.width, c.height);
      assert.deepEqual([grid.columns, grid.rows], c.grid);
      const out = processor.preprocess(anyresPattern(c.width, c.height));
      assert.deepEqual(out.pixel_values.dims, [c.views, 3, 384, 384]);
      assert.deepEqual(out.image_size, [c.width, c.height]);
      const plane = 3 * 384 * 384;
      const values = out.pixel_values.data as Float32Array;
      const got = c.view_bytes.map((_, v) => {
        let sum = 0;
        let weighted = 0;
        for (let i = 0; i < plane; i++) {
          const byte = Math.round((values[v * plane + i]! * 0.5 + 0.5) * 255);
          sum += byte;
          weighted += byte * ((i % 65521) + 1);
        }
        return [sum, weighted];
      });
      assert.deepEqual(got, c.view_bytes);
    });
  }
});

describe('anyres geometry', () => {
  it('fits the image keeping its aspect ratio: the filled side exact, the other rounded up, centred on black', () => {
    const image: RgbImage = { width: 4, height: 2, data: new Uint8Array(4 * 2 * 3).fill(200) };
    const padded = resizeAndPad(image, 8, 8);
    const row = (y: number) => [...padded.data.subarray(y * 8 * 3, (y + 1) * 8 * 3)].filter((_, i) => i % 3 === 0);
    assert.deepEqual(row(1), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(row(2), [200, 200, 200, 200, 200, 200, 200, 200]);
    assert.deepEqual(row(5), [200, 200, 200, 200, 200, 200, 200, 200]);
    assert.deepEqual(row(6), [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('puts the base view (the whole image squashed to a tile) first, then the tiles row by row', () => {
    const image = anyresPattern(20, 10);
    const { grid, views } = anyresViews(
      image,
      [
        [10, 10],
        [20, 10],
      ],
      10,
    );
    assert.deepEqual([grid.columns, grid.rows], [2, 1]);
    assert.equal(views.length, 3);
    assert.deepEqual(views[1]!.data.subarray(0, 3), image.data.subarray(0, 3));
    assert.deepEqual(views[2]!.data.subarray(0, 3), image.data.subarray(30, 33));
  });

  it('breaks ties as upstream: most kept pixels, then least waste, then the first listed', () => {
    // 100×100 fits both 2×1 and 1×2 whole with equal waste: the first listed wins.
    assert.deepEqual(
      anyresGrid(
        100,
        100,
        [
          [200, 100],
          [100, 200],
        ],
        100,
      ),
      { width: 200, height: 100, columns: 2, rows: 1 },
    );
    assert.deepEqual(selectBestResolution(40, 30, PINPOINTS), [384, 384]);
  });

  it('refuses a processor whose views are not square tiles the pinpoints are made of', () => {
    const wide = createImageProcessor({
      image_processor_type: 'SiglipImageProcessor',
      size: { height: 384, width: 512 },
    });
    assert.throws(
      () => createAnyresProcessor(wide, config),
      (e) => e instanceof UnmaskError && /square size/.test(e.message),
    );
    const odd = parseAnyresConfig({ ...config, image_grid_pinpoints: [[384, 500]] });
    assert.throws(
      () => createAnyresProcessor(siglip384, odd),
      (e) => e instanceof UnmaskError && /\[384, 500\] is not a whole number of 384 × 384 tiles/.test(e.message),
    );
  });
});

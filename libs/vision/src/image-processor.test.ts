import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createImageProcessor } from './image-processor.js';
import { decodeImage } from './decode-image.js';
import {
  diffStats,
  float32Of,
  int64Of,
  makeImage,
  readBytes,
  readJson,
  readSafetensors,
} from './test-support/fixtures.js';

/**
 * Tolerances against transformers' own outputs (test-fixtures/hf, made by transformers 5.17's
 * default fast processors). With the torchvision arithmetic the resized bytes are identical, so
 * what remains is float32 rounding in rescale/normalise: 1e-6 allows it with room to spare.
 * With Pillow's arithmetic the odd pixel moves by one or two levels: one level is 1/255/std
 * (0.0078 for SigLIP's std 0.5, 0.0146 for Qwen's 0.269).
 */
const EXACT = 1e-6;

describe('createImageProcessor', () => {
  describe('SigLIP fixture (200×150 → 64×64, bicubic, mean/std 0.5)', () => {
    const reference = float32Of(readSafetensors('hf/siglip/reference.safetensors.gz').get('pixel_values')!);
    const config = readJson('hf/siglip/preprocessor_config.json') as object;

    it('gives pixel_values [3, 64, 64] equal to the reference within 1e-6', async () => {
      const out = createImageProcessor(config).preprocess(await decodeImage(readBytes('hf/siglip/input.png')));
      assert.deepEqual(out.pixel_values.dims, [3, 64, 64]);
      assert.equal(out.image_grid_thw, undefined);
      const d = diffStats(out.pixel_values.data as Float32Array, reference);
      assert.ok(d.maxAbs <= EXACT, `max abs ${d.maxAbs}`);
    });

    it("stays within two levels (0.016) with Pillow's arithmetic", async () => {
      const out = createImageProcessor({ ...config, resize_arithmetic: 'pillow' }).preprocess(
        await decodeImage(readBytes('hf/siglip/input.png')),
      );
      const d = diffStats(out.pixel_values.data as Float32Array, reference);
      assert.ok(d.maxAbs <= 0.016 && d.meanAbs < 1e-3, `max abs ${d.maxAbs}, mean abs ${d.meanAbs}`);
    });
  });

  describe('Qwen2-VL fixture', () => {
    const reference = readSafetensors('hf/qwen2vl/reference.safetensors.gz');
    const config = readJson('hf/qwen2vl/preprocessor_config.json') as object;
    const grids = [
      [1, 10, 14],
      [1, 34, 46],
      [1, 22, 2],
    ];

    for (const k of [0, 1, 2]) {
      it(`input${k}.png: image_grid_thw exactly ${JSON.stringify(grids[k])}, pixel_values within 1e-6`, async () => {
        const image = await decodeImage(readBytes(`hf/qwen2vl/input${k}.png`));
        const processor = createImageProcessor(config);
        const out = processor.preprocess(image);
        const grid = [...out.image_grid_thw!];
        assert.deepEqual(grid, int64Of(reference.get(`image_grid_thw.${k}`)!));
        assert.deepEqual(grid, grids[k]);
        const expected = reference.get(`pixel_values.${k}`)!;
        assert.deepEqual(out.pixel_values.dims, expected.shape);
        const d = diffStats(out.pixel_values.data as Float32Array, float32Of(expected));
        assert.ok(d.maxAbs <= EXACT, `max abs ${d.maxAbs}`);
        assert.equal(processor.featureCount(image.width, image.height), (grid[1]! * grid[2]!) / 4);
      });
    }

    it("stays within 0.031 (two levels) with Pillow's arithmetic", async () => {
      const processor = createImageProcessor({ ...config, resize_arithmetic: 'pillow' });
      for (const k of [0, 1, 2]) {
        const out = processor.preprocess(await decodeImage(readBytes(`hf/qwen2vl/input${k}.png`)));
        const d = diffStats(out.pixel_values.data as Float32Array, float32Of(reference.get(`pixel_values.${k}`)!));
        assert.ok(d.maxAbs <= 0.031 && d.meanAbs < 1e-3, `input${k}: max abs ${d.maxAbs}, mean abs ${d.meanAbs}`);
      }
    });

    it('reports target sizes and feature counts without processing', () => {
      const processor = createImageProcessor(config);
      assert.deepEqual(processor.targetSize(640, 480), { width: 644, height: 476 });
      assert.equal(processor.featureCount(640, 480), 23 * 17);
    });

    it('with do_resize false, refuses sides that are not multiples of 28', () => {
      const processor = createImageProcessor({ ...config, do_resize: false });
      assert.throws(
        () => processor.preprocess(makeImage(30, 28, () => [0, 0, 0])),
        /image is 30×28; with do_resize false both sides must be multiples of 28/,
      );
      assert.deepEqual(processor.preprocess(makeImage(56, 28, () => [0, 0, 0])).pixel_values.dims, [8, 1176]);
    });
  });

  describe('default model processor (UnmaskImageProcessor)', () => {
    it('resizes to the configured square and normalises: [3, 96, 96], 9 image tokens', () => {
      const processor = createImageProcessor({ image_processor_type: 'UnmaskImageProcessor' });
      const out = processor.preprocess(makeImage(120, 80, (x) => [x, 0, 255]));
      assert.deepEqual(out.pixel_values.dims, [3, 96, 96]);
      assert.equal(processor.featureCount(120, 80), 9);
      const data = out.pixel_values.data as Float32Array;
      // Channel 1 is 0 everywhere: (0 − 0.5) / 0.5 = −1; channel 2 is 255: +1.
      assert.ok(data.subarray(96 * 96, 2 * 96 * 96).every((v) => v === -1));
      assert.ok(data.subarray(2 * 96 * 96).every((v) => v === 1));
    });

    it('passes an image of the right size through unresized: value = (v/255 − 0.5)/0.5', () => {
      const processor = createImageProcessor({
        image_processor_type: 'UnmaskImageProcessor',
        image_size: 32,
        patch_size: 8,
        merge_size: 2,
      });
      const out = processor.preprocess(makeImage(32, 32, (x, y) => [x * 8, y * 8, 0]));
      const data = out.pixel_values.data as Float32Array;
      assert.equal(processor.featureCount(32, 32), 4);
      assert.ok(Math.abs(data[5 * 32 + 7]! - ((7 * 8) / 255 - 0.5) / 0.5) < 1e-6);
      assert.ok(Math.abs(data[32 * 32 + 5 * 32 + 7]! - ((5 * 8) / 255 - 0.5) / 0.5) < 1e-6);
    });

    it('counts rows_per_token rows per merged patch (a graph that puts a constant row before each token)', () => {
      const processor = createImageProcessor({ image_processor_type: 'UnmaskImageProcessor', rows_per_token: 2 });
      assert.equal(processor.featureCount(120, 80), 18);
    });
  });

  it('does no feature-count guess for SigLIP (the model decides)', () => {
    assert.equal(
      createImageProcessor(readJson('hf/siglip/preprocessor_config.json')).featureCount(100, 100),
      undefined,
    );
  });

  it('validates the configuration it is given', () => {
    assert.throws(
      () =>
        createImageProcessor({ image_processor_type: 'SiglipImageProcessor' }, 'bundle/manifest.json vision.processor'),
      /^UnmaskError: bundle\/manifest\.json vision\.processor: size: /,
    );
  });
});

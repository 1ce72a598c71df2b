import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { imageProcessorConfigSchema, parseImageProcessorConfig } from './processor-config.js';
import { readJson } from './test-support/fixtures.js';

function rejects(value: unknown, message: RegExp) {
  assert.throws(
    () => parseImageProcessorConfig(value, 'manifest.json vision.processor'),
    (e: unknown) =>
      isUnmaskError(e, 'invalid_bundle') &&
      message.test(e.message) &&
      e.message.startsWith('manifest.json vision.processor: '),
  );
}

describe('image processor configuration', () => {
  it("accepts the SigLIP fixture's preprocessor_config.json unchanged", () => {
    const c = parseImageProcessorConfig(readJson('hf/siglip/preprocessor_config.json'));
    assert.equal(c.image_processor_type, 'SiglipImageProcessor');
    if (c.image_processor_type !== 'SiglipImageProcessor') return;
    assert.deepEqual(c.size, { height: 64, width: 64 });
    assert.deepEqual(
      [c.image_mean, c.image_std, c.resample, c.resize_arithmetic],
      [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 3, 'torchvision'],
    );
  });

  it("accepts the Qwen2-VL fixture's file and reads min/max pixels from size", () => {
    const c = parseImageProcessorConfig(readJson('hf/qwen2vl/preprocessor_config.json'));
    assert.equal(c.image_processor_type, 'Qwen2VLImageProcessor');
    if (c.image_processor_type !== 'Qwen2VLImageProcessor') return;
    assert.deepEqual(
      [c.min_pixels, c.max_pixels, c.patch_size, c.merge_size, c.temporal_patch_size],
      [3136, 1003520, 14, 2, 2],
    );
  });

  it('lets explicit min_pixels / max_pixels override size, as transformers does', () => {
    const c = parseImageProcessorConfig({
      image_processor_type: 'Qwen2VLImageProcessor',
      size: { shortest_edge: 3136, longest_edge: 1003520 },
      min_pixels: 256 * 28 * 28,
      max_pixels: 512 * 28 * 28,
    });
    if (c.image_processor_type !== 'Qwen2VLImageProcessor') assert.fail();
    assert.deepEqual(
      [c.min_pixels, c.max_pixels, c.size],
      [200704, 401408, { shortest_edge: 200704, longest_edge: 401408 }],
    );
  });

  it('fills Qwen2-VL defaults (OpenAI CLIP mean/std, 56² … 28²·1280 pixels)', () => {
    const c = parseImageProcessorConfig({ image_processor_type: 'Qwen2VLImageProcessorFast' });
    if (c.image_processor_type !== 'Qwen2VLImageProcessorFast') assert.fail();
    assert.deepEqual(
      [c.min_pixels, c.max_pixels, c.image_mean[0], c.image_std[2]],
      [3136, 1003520, 0.48145466, 0.27577711],
    );
  });

  it('describes the default model: a 96×96 square, patch 16, merge 2', () => {
    const c = parseImageProcessorConfig({ image_processor_type: 'UnmaskImageProcessor' });
    if (c.image_processor_type !== 'UnmaskImageProcessor') assert.fail();
    assert.deepEqual([c.image_size, c.patch_size, c.merge_size, c.image_mean], [96, 16, 2, [0.5, 0.5, 0.5]]);
  });

  it('expands a single mean / std number to three channels', () => {
    const c = parseImageProcessorConfig({
      image_processor_type: 'CLIPImageProcessor',
      size: { height: 8, width: 8 },
      image_mean: 0.25,
      image_std: 0.5,
    });
    assert.deepEqual(
      [c.image_mean, c.image_std],
      [
        [0.25, 0.25, 0.25],
        [0.5, 0.5, 0.5],
      ],
    );
  });

  it('is exported as a zod schema that a manifest schema can embed', () => {
    assert.equal(
      imageProcessorConfigSchema.safeParse({ image_processor_type: 'UnmaskImageProcessor', image_size: 64 }).success,
      true,
    );
  });

  it('refuses unknown processor types, naming the field and the accepted ones', () => {
    rejects(
      { image_processor_type: 'LlavaImageProcessor' },
      /image_processor_type: .*SiglipImageProcessor.*Qwen2VLImageProcessor.*UnmaskImageProcessor/,
    );
  });

  it('refuses sizes given as shortest_edge for a fixed-size processor', () => {
    rejects({ image_processor_type: 'CLIPImageProcessor', size: { shortest_edge: 224 } }, /size(\.height)?: .*/);
  });

  it('refuses centre cropping, which is not implemented', () => {
    rejects(
      { image_processor_type: 'CLIPImageProcessor', size: { height: 8, width: 8 }, do_center_crop: true },
      /do_center_crop: do_center_crop is not supported/,
    );
  });

  it('refuses a zero std, an unknown resample code and min above max pixels', () => {
    rejects(
      { image_processor_type: 'SiglipImageProcessor', size: { height: 8, width: 8 }, image_std: [0.5, 0, 0.5] },
      /image_std: image_std entries must be > 0/,
    );
    rejects(
      { image_processor_type: 'SiglipImageProcessor', size: { height: 8, width: 8 }, resample: 7 },
      /resample: resample must be a PIL code 0..5/,
    );
    rejects(
      { image_processor_type: 'Qwen2VLImageProcessor', min_pixels: 5000, max_pixels: 4000 },
      /min_pixels: min_pixels \(size.shortest_edge\) must not exceed max_pixels/,
    );
  });

  it('refuses an image_size the patch grid does not divide', () => {
    rejects(
      { image_processor_type: 'UnmaskImageProcessor', image_size: 100 },
      /image_size: image_size must be a multiple of patch_size × merge_size/,
    );
  });
});

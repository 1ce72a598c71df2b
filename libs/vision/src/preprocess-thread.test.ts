import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isUnmaskError } from '@unmask/core';
import { parseAnyresConfig } from './anyres-config.js';
import { createAnyresProcessor } from './anyres-views.js';
import { createImageProcessor } from './image-processor.js';
import { PreprocessThread } from './preprocess-thread.js';
import type { RgbImage } from './rgb-image.js';

const CONFIG = {
  image_processor_type: 'Qwen2VLImageProcessor',
  min_pixels: 56 * 56,
  max_pixels: 448 * 448,
  patch_size: 14,
  merge_size: 2,
  temporal_patch_size: 2,
};

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  return { width, height, data };
}

/** The longest gap between ticks of a 5 ms timer while `work` runs (and just after). */
async function loopDelayDuring(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  await new Promise((r) => setTimeout(r, 20));
  await work();
  await new Promise((r) => setTimeout(r, 30));
  clearInterval(timer);
  return worst;
}

describe('starting the preprocessing thread', () => {
  it('start() runs the thread before any image, so that the first image does not wait for it', async () => {
    const thread = new PreprocessThread(CONFIG);
    try {
      assert.equal(thread.started, false, 'nothing runs until asked');
      await thread.start();
      assert.equal(thread.started, true, 'the thread has loaded its module');
      await thread.start(); // a second call finds it running
      const result = await thread.preprocess(gradient(40, 30));
      assert.deepEqual(result.image_grid_thw, createImageProcessor(CONFIG).preprocess(gradient(40, 30)).image_grid_thw);
    } finally {
      await thread.close();
    }
    assert.equal(thread.started, false);
    await assert.rejects(thread.start(), (e) => isUnmaskError(e, 'runtime_error') && /closed/.test(e.message));
  });
});

describe('image preprocessing on its own thread', () => {
  const thread = new PreprocessThread(CONFIG);
  after(() => thread.close());

  it('gives the same tensors as the processor on the calling thread', async () => {
    const image = gradient(300, 200);
    const here = createImageProcessor(CONFIG).preprocess(image);
    const there = await thread.preprocess(image);
    assert.deepEqual(there.pixel_values.dims, here.pixel_values.dims);
    assert.deepEqual(there.pixel_values.data, here.pixel_values.data);
    assert.deepEqual(there.image_grid_thw, here.image_grid_thw);
  });

  it('keeps the event loop turning while a large image is resized (on the calling thread it stalls)', async () => {
    const image = gradient(3000, 2000);
    await thread.preprocess(gradient(64, 64)); // the thread is started
    const processor = createImageProcessor(CONFIG);
    const blocked = await loopDelayDuring(async () => processor.preprocess(image));
    const free = await loopDelayDuring(() => thread.preprocess(image, { transfer: true }));
    assert.equal(image.data.length, 0, 'the pixels were moved, not copied');
    assert.ok(blocked > 100, `on the calling thread the loop stalled ${Math.round(blocked)} ms`);
    assert.ok(
      free < blocked / 2,
      `on the thread the loop's worst delay was ${Math.round(free)} ms (vs ${Math.round(blocked)} ms)`,
    );
  });

  it('refuses a malformed image with the processor’s own error', async () => {
    await assert.rejects(thread.preprocess({ width: 10, height: 10, data: new Uint8Array(5) }), (e) =>
      isUnmaskError(e, 'invalid_media'),
    );
  });
});

describe('anyres views on the preprocessing thread', () => {
  // A small tile keeps the spec quick; the views are the same code as anyres-views.test.ts checks against upstream.
  const SIGLIP = {
    image_processor_type: 'SiglipImageProcessor',
    size: { height: 32, width: 32 },
    resample: 3,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
  };
  const ANYRES = {
    image_aspect_ratio: 'anyres_max_4',
    image_grid_pinpoints: [
      [32, 32],
      [64, 32],
      [32, 64],
      [64, 64],
    ],
    mm_patch_merge_type: 'spatial_unpad',
    image_newline: 'image_newline.safetensors',
  };
  const thread = new PreprocessThread(SIGLIP, ANYRES);
  after(() => thread.close());

  it('gives the same views, grid and size as createAnyresProcessor on the calling thread, the pixels moved', async () => {
    const image = gradient(90, 41);
    const here = createAnyresProcessor(createImageProcessor(SIGLIP), parseAnyresConfig(ANYRES)).preprocess(image);
    const there = await thread.views(image, { transfer: true });
    assert.equal(image.data.length, 0, 'the pixels were moved, not copied');
    assert.deepEqual(there.pixel_values.dims, [3, 3, 32, 32], 'the base view and a 2×1 grid');
    assert.deepEqual(there.pixel_values.dims, here.pixel_values.dims);
    assert.deepEqual(there.pixel_values.data, here.pixel_values.data);
    assert.deepEqual(there.grid, here.grid);
    assert.deepEqual(there.image_size, [90, 41]);
  });

  it('refuses views from a thread made without anyres, and a bad anyres section when it is made', async () => {
    const plain = new PreprocessThread(SIGLIP);
    await assert.rejects(
      plain.views(gradient(8, 8)),
      (e) => isUnmaskError(e, 'runtime_error') && /without anyres/.test(e.message),
    );
    await plain.close();
    assert.throws(
      () => new PreprocessThread(SIGLIP, { ...ANYRES, mm_patch_merge_type: 'flat' }),
      (e) => isUnmaskError(e, 'invalid_bundle') && /mm_patch_merge_type/.test(e.message),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnmaskError } from '@unmask/core';
import { anyresMaxPatches, expandGridPinpoints, parseAnyresConfig } from './anyres-config.js';

const valid = {
  image_aspect_ratio: 'anyres_max_4',
  image_grid_pinpoints: [
    [384, 384],
    [384, 768],
  ],
  mm_patch_merge_type: 'spatial_unpad',
  image_newline: 'image_newline.safetensors',
};

const refusal = (value: unknown, pattern: RegExp) =>
  assert.throws(
    () => parseAnyresConfig(value, 'manifest.json: vision.anyres'),
    (e) => e instanceof UnmaskError && e.code === 'invalid_bundle' && pattern.test(e.message),
  );

describe('vision.anyres settings', () => {
  it('reads LLaVA’s field names; anyres_max_N gives the budget N, plain anyres none', () => {
    const config = parseAnyresConfig(valid);
    assert.equal(anyresMaxPatches(config), 4);
    assert.equal(anyresMaxPatches({ image_aspect_ratio: 'anyres' }), undefined);
    assert.equal(anyresMaxPatches({ image_aspect_ratio: 'anyres_max_9' }), 9);
  });

  it('refuses what it cannot do faithfully, naming the field', () => {
    refusal(
      { ...valid, image_aspect_ratio: 'pad' },
      /vision\.anyres: image_aspect_ratio: must be "anyres" or "anyres_max_N"/,
    );
    refusal({ ...valid, image_aspect_ratio: 'anyres_max_0' }, /image_aspect_ratio/);
    refusal({ ...valid, mm_patch_merge_type: 'spatial' }, /mm_patch_merge_type: only "spatial_unpad"/);
    refusal({ ...valid, image_grid_pinpoints: [] }, /image_grid_pinpoints/);
    refusal({ ...valid, image_grid_pinpoints: [[384]] }, /image_grid_pinpoints/);
    refusal(
      { ...valid, image_newline: '../outside.safetensors' },
      /image_newline: must be a relative path inside the bundle/,
    );
    refusal({ ...valid, extra: 1 }, /\(root\)|extra/);
  });
});

describe('expandGridPinpoints (a checkpoint’s image_grid_pinpoints → [width, height] pixel pairs)', () => {
  it('expands LLaDA-V’s "(1x1),...,(6x6)" width-major, as LLaVA’s train.py and process_anyres_image do', () => {
    const out = expandGridPinpoints('(1x1),...,(6x6)', 384);
    assert.equal(out.length, 36);
    assert.deepEqual(out.slice(0, 7), [
      [384, 384],
      [384, 768],
      [384, 1152],
      [384, 1536],
      [384, 1920],
      [384, 2304],
      [768, 384],
    ]);
    assert.deepEqual(out.at(-1), [2304, 2304]);
    // Only the first and last grids count, as upstream's regex reads them.
    assert.deepEqual(expandGridPinpoints('(2x1),(9x9),(3x2)', 10), [
      [20, 10],
      [20, 20],
      [30, 10],
      [30, 20],
    ]);
  });

  it('takes a list as config.json stores it, or its Python text', () => {
    const list = [
      [384, 384],
      [768, 384],
    ];
    assert.deepEqual(expandGridPinpoints(list, 384), list);
    assert.deepEqual(expandGridPinpoints('[(384, 384), (768, 384)]', 384), list);
  });

  it('refuses anything else by name', () => {
    for (const bad of ['(6x6),...,(1x1)', 'anyres', [[1, 2, 3]], 42]) {
      assert.throws(
        () => expandGridPinpoints(bad, 384, 'config.json: image_grid_pinpoints'),
        (e) => e instanceof UnmaskError && /^config\.json: image_grid_pinpoints: /.test(e.message),
      );
    }
  });
});

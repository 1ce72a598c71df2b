import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBundle, type Bundle } from '@unmask/core';
import { ImageTower } from './media-encoders.js';
import { pngOf } from './test-support/media.js';

const BUNDLE = fileURLToPath(new URL('../test-fixtures/tiny-multimodal', import.meta.url));

describe('the image tower', () => {
  let bundle: Bundle;
  before(async () => {
    bundle = await loadBundle(BUNDLE, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(() => bundle.close());

  it('starts its preprocessing thread when it opens with the model, not at the first image', async () => {
    const tower = await ImageTower.open(bundle);
    assert.ok(tower);
    try {
      assert.equal(tower.preprocessing, true, 'the thread runs before any image was sent');
      const features = await tower.encode(await pngOf(20, 16), undefined, 'image');
      assert.equal(features.tokens, 9);
    } finally {
      await tower.close();
    }
    assert.equal(tower.preprocessing, false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFuzz, ciFuzzOptions } from '@unmask/core/fuzz';
import { decodeImage } from './decode-image.js';
import { decodeImageTarget, IMAGE_SEEDS } from './decode-image.fuzz.js';

describe('fuzzing image decoding (bounded; `npm run fuzz` runs it for longer)', () => {
  it('decodes every seed file', async () => {
    for (const seed of IMAGE_SEEDS) assert.equal((await decodeImage(seed)).width, 9);
  });

  it(`${decodeImageTarget.name}: mutated images are decoded within the pixel limit or refused cleanly`, async () => {
    const report = await assertFuzz(decodeImageTarget, ciFuzzOptions());
    assert.ok(report.executions > 0);
  });
});

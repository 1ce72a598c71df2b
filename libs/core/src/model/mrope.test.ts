import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Bundle, loadBundle } from '../bundle/load-bundle.js';
import { isUnmaskError } from '../errors.js';
import { SafetensorsFile } from '../test-support/safetensors-file.js';

// The tiny model with multimodal rotary (M-RoPE sections [2, 1, 1]), as Dimple uses; reference
// logits from PyTorch (tools/train/make_test_bundle.py).
const fixtures = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
const reference = SafetensorsFile.read(`${fixtures}tiny-mrope-reference.safetensors`);
const VOCAB = 64;

function maxDiff(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

describe('a bundle whose LM takes M-RoPE position ids [3, batch, seq]', () => {
  let bundle: Bundle;
  before(async () => {
    bundle = await loadBundle(`${fixtures}tiny-mrope`, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(() => bundle.close());

  const e = reference.integers('e.input_ids').data;
  const mrope = reference.integers('e.position_ids').data; // [3, 10]: text, a 2×2 image, text
  const all = e.map((_, i) => i);

  it('matches PyTorch for a row with image-grid positions', async () => {
    assert.equal(bundle.manifest.lm.position_ids, 'mrope');
    const [row] = await bundle.model.forward([
      { inputIds: e, positionIds: mrope.slice(0, 10), mropePositionIds: mrope, logitsIndices: all },
    ]);
    assert.ok(maxDiff(row!.logits, reference.float32('e.logits').data) < 1e-4);
  });

  it('uses the 1-D positions for all three components when no M-RoPE positions are given', async () => {
    const f = reference.integers('f.input_ids').data;
    const positions = f.map((_, i) => i);
    const [row] = await bundle.model.forward([{ inputIds: f, positionIds: positions, logitsIndices: positions }]);
    assert.ok(maxDiff(row!.logits, reference.float32('f.logits').data) < 1e-4);
  });

  it('reproduces the full forward from an exactly cached prefix', async () => {
    const [full] = await bundle.model.forward([
      { inputIds: e, positionIds: mrope.slice(0, 10), mropePositionIds: mrope, logitsIndices: [], keep: [[0, 7]] },
    ]);
    const segment = [0, 1, 2].flatMap((c) => mrope.slice(c * 10 + 7, c * 10 + 10));
    const [rest] = await bundle.model.forward([
      {
        inputIds: e.slice(7),
        positionIds: segment.slice(0, 3),
        mropePositionIds: segment,
        past: full!.cache!,
        logitsIndices: [0, 1, 2],
      },
    ]);
    assert.ok(maxDiff(rest!.logits, reference.float32('e.logits').data.subarray(7 * VOCAB)) < 1e-4);
    full!.cache!.release();
  });

  it('rejects M-RoPE positions of the wrong length', async () => {
    await assert.rejects(
      bundle.model.forward([
        { inputIds: [10, 11], positionIds: [0, 1], mropePositionIds: [0, 1, 0, 1], logitsIndices: [0] },
      ]),
      (error) =>
        isUnmaskError(error, 'invalid_parameter') &&
        /mropePositionIds: has 4 entries, expected 3 × 2/.test(error.message),
    );
  });
});

describe('a bundle with 1-D rotary', () => {
  it('rejects M-RoPE positions', async () => {
    const bundle = await loadBundle(`${fixtures}tiny-bundle`, {
      poolSize: 1,
      sessionOptions: { intraOpNumThreads: 1 },
    });
    try {
      await assert.rejects(
        bundle.model.forward([{ inputIds: [10], positionIds: [0], mropePositionIds: [0, 0, 0], logitsIndices: [0] }]),
        (error) => isUnmaskError(error, 'invalid_parameter') && /does not use M-RoPE/.test(error.message),
      );
    } finally {
      await bundle.close();
    }
  });
});

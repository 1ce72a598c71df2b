import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { assertSpliceCount, countPlaceholders, spliceFeatures } from './splice.js';

const PAD = 7;

describe('placeholder splicing', () => {
  it('counts placeholder ids in number and bigint id arrays', () => {
    assert.equal(countPlaceholders([1, PAD, PAD, 3, PAD], PAD), 3);
    assert.equal(countPlaceholders(BigInt64Array.from([1n, 7n, 2n]), PAD), 1);
  });

  it('writes feature rows over the placeholder rows, in order, leaving the rest', () => {
    const ids = [1, PAD, 2, PAD];
    const embeds = Float32Array.from([10, 11, 20, 21, 30, 31, 40, 41]);
    spliceFeatures(embeds, 2, ids, PAD, Float32Array.from([-1, -2, -3, -4]));
    assert.deepEqual([...embeds], [10, 11, -1, -2, 30, 31, -3, -4]);
  });

  it('refuses a prompt whose placeholder count differs from the feature count', () => {
    assert.throws(
      () => spliceFeatures(new Float32Array(6), 2, [PAD, 1, 2], PAD, new Float32Array(4)),
      (e: unknown) =>
        isUnmaskError(e, 'invalid_parameter') &&
        e.param === 'prompt' &&
        e.message ===
          'the prompt has 1 image placeholder token (id 7) but the images encode to 2 features; they must be equal (let the chat template insert the placeholders)',
    );
    assert.throws(
      () => assertSpliceCount(10, 9, 151655),
      /the prompt has 10 image placeholder tokens \(id 151655\) but the images encode to 9 features/,
    );
    assert.doesNotThrow(() => assertSpliceCount(9, 9, 151655));
  });

  it('refuses embeddings or features of the wrong size', () => {
    assert.throws(
      () => spliceFeatures(new Float32Array(5), 2, [PAD, 1, 2], PAD, new Float32Array(2)),
      /embeddings hold 5 values, not 3 tokens × hidden 2/,
    );
    assert.throws(
      () => spliceFeatures(new Float32Array(6), 2, [PAD, 1, 2], PAD, new Float32Array(3)),
      /features hold 3 values, not a multiple of hidden size 2/,
    );
  });
});

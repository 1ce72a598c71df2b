import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TensorData } from './graph-runner.js';
import type { LmShape, WireLmRow } from './worker-protocol.js';
import { type CacheEntry, batchGeometry, embedFeed, keptCache, lmFeeds, rowLogits } from './lm-batch.js';

const shape: LmShape = {
  numLayers: 1,
  numKeyValueHeads: 1,
  headDim: 1,
  hiddenSize: 2,
  vocabSize: 3,
  padTokenId: 0,
  mrope: false,
};

function row(ids: number[], positions: number[], logitsIndices: number[], extra: Partial<WireLmRow> = {}): WireLmRow {
  return {
    inputIds: Int32Array.from(ids),
    positionIds: Int32Array.from(positions),
    logitsIndices: Int32Array.from(logitsIndices),
    embeddings: [],
    ...extra,
  };
}

/** A one-layer, one-head, head_dim-1 cache whose key at j is `base + j`. */
function cache(length: number, base: number): CacheEntry {
  return {
    length,
    keys: [Float32Array.from({ length }, (_, j) => base + j)],
    values: [Float32Array.from({ length }, (_, j) => -(base + j))],
  };
}

describe('batch layout of rows with different segment and cache lengths', () => {
  const rows = [row([7, 8], [5, 6], [1]), row([9, 9, 9], [0, 1, 2], [2, 0])];
  const pasts = [cache(3, 100), undefined];
  const geometry = batchGeometry(rows, pasts);

  it('pads to the longest segment, the longest cache and the most logits indices', () => {
    assert.deepEqual(geometry, { batch: 2, seq: 3, past: 3, n: 2 });
    assert.deepEqual([...(embedFeed(rows, geometry, shape).data as BigInt64Array)], [7n, 8n, 0n, 9n, 9n, 9n]);
  });

  it('marks cached keys first, then the segment after the longest cache, the rest as padding', () => {
    const feeds = lmFeeds(rows, pasts, geometry, shape);
    const mask = feeds.attention_mask!;
    assert.deepEqual(mask.dims, [2, 6]);
    assert.deepEqual([...(mask.data as BigInt64Array)], [1n, 1n, 1n, 1n, 1n, 0n, 0n, 0n, 0n, 1n, 1n, 1n]);
    assert.deepEqual([...(feeds.position_ids!.data as BigInt64Array)], [5n, 6n, 0n, 0n, 1n, 2n]);
    assert.deepEqual([...(feeds.logits_indices!.data as BigInt64Array)], [1n, 0n, 2n, 0n]);
    assert.deepEqual(feeds['past_key_values.0.key']!.dims, [2, 1, 3, 1]);
    assert.deepEqual([...(feeds['past_key_values.0.key']!.data as Float32Array)], [100, 101, 102, 0, 0, 0]);
  });

  it('lays M-RoPE positions out as [3, batch, seq]', () => {
    const mropeRows = [row([7, 8], [5, 6, 15, 16, 25, 26], [1]), row([9, 9, 9], [0, 1, 2, 0, 1, 2, 0, 1, 2], [2])];
    const feeds = lmFeeds(mropeRows, [undefined, undefined], batchGeometry(mropeRows, []), { ...shape, mrope: true });
    assert.deepEqual(feeds.position_ids!.dims, [3, 2, 3]);
    assert.deepEqual(
      [...(feeds.position_ids!.data as BigInt64Array)].map(Number),
      [5, 6, 0, 0, 1, 2, 15, 16, 0, 0, 1, 2, 25, 26, 0, 0, 1, 2],
    );
  });

  it('cuts each row’s logits out of the padded output', () => {
    const logits = Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i);
    const [first, second] = rowLogits(logits, rows, geometry, 3);
    assert.deepEqual([...first!], [0, 1, 2]);
    assert.deepEqual([...second!], [6, 7, 8, 9, 10, 11]);
  });

  it('keeps ranges of past ++ segment, mapping segment indices past the padded cache', () => {
    // present keys [batch 2, heads 1, total 6, dim 1]: row 0 = its 3 cached keys, then its 2 segment keys, then padding.
    const presents: Record<string, TensorData> = {
      'present.0.key': {
        type: 'float32',
        dims: [2, 1, 6, 1],
        data: Float32Array.from([100, 101, 102, 7, 8, -1, -2, -3, -4, 20, 21, 22]),
      },
      'present.0.value': { type: 'float32', dims: [2, 1, 6, 1], data: new Float32Array(12) },
    };
    const kept = keptCache(
      presents,
      0,
      3,
      [
        [3, 5],
        [0, 1],
      ],
      geometry,
      shape,
    );
    assert.equal(kept.length, 3);
    assert.deepEqual([...kept.keys[0]!], [7, 8, 100]);
    const second = keptCache(presents, 1, 0, [[0, 3]], geometry, shape);
    assert.deepEqual([...second.keys[0]!], [20, 21, 22]);
  });
});

/**
 * Specification of the cross-request prefix cache: the LRU of shared prompt prefixes (bounded in
 * bytes, pinned while in use) and the engine path that fills and reuses it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KvCache } from '../model/language-model.js';
import { DEFAULT_INFO, ScriptedModel, peaked, type Script } from '../test-support/scripted-model.js';
import { DecodingEngine, decode } from './decoding-engine.js';
import { PrefixCache, prefixKey } from './prefix-cache.js';
import { isUnmaskError } from '../errors.js';

class FakeCache implements KvCache {
  released = false;
  constructor(
    readonly length: number,
    readonly bytes: number,
  ) {}
  release(): void {
    this.released = true;
  }
}

describe('the prefix cache (an LRU of keys/values bounded in bytes)', () => {
  it('misses, keeps what is inserted, then hits; hits and misses are counted', () => {
    const store = new PrefixCache(1000);
    assert.equal(store.acquire('a'), undefined);
    const cache = new FakeCache(4, 100);
    assert.equal(store.insert('a', cache), cache);
    store.unpin(cache);
    assert.equal(store.acquire('a'), cache);
    store.unpin(cache);
    assert.deepEqual(store.stats(), { hits: 1, misses: 1, evictions: 0, entries: 1, bytes: 100, capacityBytes: 1000 });
  });

  it('evicts the least recently used entries beyond its budget, releasing their keys/values', () => {
    const store = new PrefixCache(250);
    const [a, b, c] = [new FakeCache(1, 100), new FakeCache(1, 100), new FakeCache(1, 100)];
    store.unpin(store.insert('a', a));
    store.unpin(store.insert('b', b));
    store.unpin(store.acquire('a')!); // a is now the most recent
    store.unpin(store.insert('c', c));
    assert.equal(b.released, true, 'b was the least recently used');
    assert.equal(a.released || c.released, false);
    assert.equal(store.stats().bytes, 200);
    assert.equal(store.stats().evictions, 1);
  });

  it('never evicts an entry in use; it goes when released if the budget is still exceeded', () => {
    const store = new PrefixCache(150);
    const a = store.insert('a', new FakeCache(1, 100)) as FakeCache;
    const b = store.insert('b', new FakeCache(1, 100)) as FakeCache;
    assert.equal(a.released || b.released, false, 'both pinned: over budget for now');
    store.unpin(a);
    assert.equal(a.released, true);
    store.unpin(b);
    assert.equal(b.released, false);
  });

  it('does not keep a prefix bigger than the whole budget once it is no longer used', () => {
    const store = new PrefixCache(50);
    const big = store.insert('big', new FakeCache(1, 100)) as FakeCache;
    assert.equal(big.released, false, 'usable while pinned');
    store.unpin(big);
    assert.equal(big.released, true);
    assert.equal(store.stats().entries, 0);
  });

  it('keeps the first of two caches computed concurrently for one key and frees the second', () => {
    const store = new PrefixCache(1000);
    const first = new FakeCache(2, 10);
    const second = new FakeCache(2, 10);
    store.insert('k', first);
    assert.equal(store.insert('k', second), first);
    assert.equal(second.released, true);
  });

  it('keys a prefix by its length, token ids, spliced features and M-RoPE positions', () => {
    const ids = [5, 6, 7, 8, 9];
    const features = (v: number) => [{ offset: 1, count: 2, data: Float32Array.from([v, 0, 0, 0, 1, 1, 1, 1]) }];
    const key = prefixKey(ids, 4, features(0.5));
    assert.equal(prefixKey([5, 6, 7, 8, 99], 4, features(0.5)), key, 'what follows the prefix does not matter');
    assert.notEqual(prefixKey([5, 6, 7, 0, 9], 4, features(0.5)), key);
    assert.notEqual(prefixKey(ids, 4, features(0.25)), key, 'another image');
    assert.notEqual(prefixKey(ids, 3, features(0.5)), key);
    assert.notEqual(prefixKey(ids, 4, []), key);
    const mrope = Int32Array.from({ length: 15 }, (_, i) => i % 5);
    assert.notEqual(prefixKey(ids, 4, features(0.5), mrope), key);
  });
});

/** Each answer position predicts a token from the prompt tokens it can see, so a wrong prefix shows. */
const promptScript: Script = ({ sequence, target }) => {
  let sum = 0;
  for (let p = 0; p < 6; p++) sum += sequence.get(p) ?? 0;
  return peaked(2 + ((sum + target) % 12), 0.9 - target * 0.01);
};

describe('the engine with a prefix cache', () => {
  const shared = [3, 4, 5, 6];
  const request = (question: number[]) => ({
    promptIds: [...shared, ...question],
    maxTokens: 4,
    strategy: { name: 'low_confidence', steps: 4 },
    sharedPrefix: shared.length,
  });

  it('computes a shared prefix once, over the prefix alone; the next request attends to it without recomputing it', async () => {
    const model = new ScriptedModel(promptScript);
    const engine = new DecodingEngine(model, { prefixCache: new PrefixCache(1e9) });
    const first = await engine.generate(request([7, 8])).result;
    const passesAfterFirst = model.calls.length;
    const second = await engine.generate(request([9, 10])).result;
    // First: one pass over the 4 shared positions that keeps them, then 4 steps over the rest.
    assert.deepEqual(model.calls[0], [
      { segmentLength: 4, pastLength: 0, positionIds: [0, 1, 2, 3], logitsIndices: [3], kept: true },
    ]);
    for (const call of model.calls.slice(1)) {
      assert.equal(call[0]!.pastLength, 4);
      assert.equal(call[0]!.positionIds[0], 4, 'segments start after the prefix');
    }
    assert.equal(model.calls.length - passesAfterFirst, 4, 'the second request runs no prefix pass');
    assert.deepEqual(first.sharedPrefix, { length: 4, hit: false });
    assert.deepEqual(second.sharedPrefix, { length: 4, hit: true });
    // The script sees the cached prefix tokens as it would the recomputed ones.
    const uncached = await decode(new ScriptedModel(promptScript), { ...request([9, 10]), sharedPrefix: 0 });
    assert.deepEqual(second.tokenIds, uncached.tokenIds);
  });

  it('with sharedPrefixContext request, computes the prefix in the first request’s context: its whole prompt and masked canvas, keeping the prefix', async () => {
    const model = new ScriptedModel(promptScript);
    const engine = new DecodingEngine(model, { prefixCache: new PrefixCache(1e9), sharedPrefixContext: 'request' });
    await engine.generate(request([7, 8])).result;
    const passesAfterFirst = model.calls.length;
    await engine.generate(request([9, 10])).result;
    // 6 prompt positions and a canvas of 4, no logits; the prefix's 4 kept.
    assert.deepEqual(model.calls[0], [
      { segmentLength: 10, pastLength: 0, positionIds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], logitsIndices: [], kept: true },
    ]);
    assert.equal(model.calls.length - passesAfterFirst, 4, 'the second request runs no prefix pass');
    for (const call of model.calls.slice(1)) assert.equal(call[0]!.pastLength, 4);
  });

  it('composes with the per-request caches: kept ranges include the shared prefix', async () => {
    const model = new ScriptedModel(promptScript);
    const engine = new DecodingEngine(model, { prefixCache: new PrefixCache(1e9) });
    const result = await engine.generate({ ...request([7, 8]), cache: 'prefix' }).result;
    const uncached = await decode(new ScriptedModel(promptScript), { ...request([7, 8]), sharedPrefix: 0 });
    assert.deepEqual(result.tokenIds, uncached.tokenIds);
    // prefix pass; a full pass after the prefix that keeps [0, 6); then canvas-only passes over 6 cached positions.
    assert.deepEqual(
      model.calls.map((c) => [c[0]!.pastLength, c[0]!.segmentLength, c[0]!.kept]),
      [
        [0, 4, true],
        [4, 6, true],
        [6, 4, false],
        [6, 4, false],
        [6, 4, false],
      ],
    );
  });

  it('lets go of the prefix when a request ends, so an over-budget prefix is freed', async () => {
    const model = new ScriptedModel(promptScript);
    const store = new PrefixCache(0);
    await new DecodingEngine(model, { prefixCache: store }).generate(request([7, 8])).result;
    assert.equal(store.stats().entries, 0);
    assert.ok(model.caches.every((c) => c.released));
  });

  it('ignores sharedPrefix without a prefix cache', async () => {
    const model = new ScriptedModel(promptScript);
    const result = await decode(model, request([7, 8]));
    assert.equal(result.sharedPrefix, undefined);
    assert.ok(model.calls.every((c) => c[0]!.pastLength === 0 && c[0]!.segmentLength === 10));
  });

  it('refuses a shared prefix longer than the prompt (one less with shifted logits)', () => {
    const engine = new DecodingEngine(new ScriptedModel(promptScript), { prefixCache: new PrefixCache(1) });
    assert.throws(
      () => engine.generate({ ...request([7, 8]), sharedPrefix: 7 }),
      (e: unknown) => isUnmaskError(e) && e.param === 'sharedPrefix',
    );
    const shifted = new DecodingEngine(new ScriptedModel(promptScript, { ...DEFAULT_INFO, shiftedLogits: true }), {
      prefixCache: new PrefixCache(1),
    });
    assert.throws(() => shifted.generate({ ...request([7, 8]), sharedPrefix: 6 }), /from 0 to 5/);
  });

  it('refuses a shared prefix with classifier-free guidance (its unconditional row masks the prompt)', () => {
    const engine = new DecodingEngine(new ScriptedModel(promptScript), { prefixCache: new PrefixCache(1) });
    assert.throws(
      () => engine.generate({ ...request([7, 8]), strategy: { name: 'low_confidence', steps: 4, cfg_scale: 1 } }),
      (e: unknown) => isUnmaskError(e) && e.param === 'sharedPrefix',
    );
  });
});

describe('the prefix cache with the ONNX model (tiny bundle)', () => {
  it('keeps the prefix in the worker at 2 · layers · KV heads · head dim · 4 bytes per position, and reuses it', async () => {
    const { loadBundle } = await import('../bundle/load-bundle.js');
    const bundle = await loadBundle(new URL('../../test-fixtures/tiny-bundle', import.meta.url).pathname, {
      poolSize: 1,
      sessionOptions: { intraOpNumThreads: 1 },
    });
    try {
      const store = new PrefixCache(1 << 20);
      const engine = new DecodingEngine(bundle.model, { prefixCache: store });
      const ask = (question: number[]) =>
        engine.generate({ promptIds: [4, 5, 6, 7, 8, 9, ...question], maxTokens: 6, sharedPrefix: 6, cache: 'prefix' })
          .result;
      const first = await ask([10, 11]);
      const again = await ask([10, 11]);
      const other = await ask([12]);
      const { num_layers: L, num_key_value_heads: K, head_dim: D } = bundle.manifest.sizes;
      assert.deepEqual(store.stats(), {
        hits: 2,
        misses: 1,
        evictions: 0,
        entries: 1,
        bytes: 6 * 2 * L * K * D * 4,
        capacityBytes: 1 << 20,
      });
      assert.deepEqual(
        [first.sharedPrefix?.hit, again.sharedPrefix?.hit, other.sharedPrefix?.hit],
        [false, true, true],
      );
      assert.deepEqual(again.canvas, first.canvas, 'the same question gets the same answer from the cached prefix');
      const fresh = await new DecodingEngine(bundle.model, { prefixCache: new PrefixCache(1 << 20) }).generate({
        promptIds: [4, 5, 6, 7, 8, 9, 12],
        maxTokens: 6,
        sharedPrefix: 6,
        cache: 'prefix',
      }).result;
      assert.deepEqual(other.canvas, fresh.canvas, 'an answer does not depend on which request computed the prefix');
      store.clear();
      assert.equal(store.stats().entries, 0);
    } finally {
      await bundle.close();
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 20 }, () => a.uint32());
    assert.deepEqual(
      sa,
      Array.from({ length: 20 }, () => b.uint32()),
    );
    assert.notDeepEqual(
      sa,
      Array.from({ length: 20 }, () => c.uint32()),
    );
  });

  it('draws integers inside the inclusive range and reaches both ends', () => {
    const rng = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(-3, 3);
      assert.ok(v >= -3 && v <= 3);
      seen.add(v);
    }
    assert.equal(seen.size, 7);
  });

  it('samples distinct items', () => {
    const rng = new Rng(7);
    const s = rng.sample(['a', 'b', 'c', 'd', 'e'], 4);
    assert.equal(new Set(s).size, 4);
  });
});

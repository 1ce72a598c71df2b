import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toChannelsFirst } from './normalize.js';

describe('toChannelsFirst', () => {
  const image = { width: 2, height: 1, data: new Uint8Array([0, 51, 255, 255, 102, 0]) };

  it('moves channels first, rescales and normalises per channel', () => {
    const out = toChannelsFirst(image, { rescaleFactor: 1 / 255, mean: [0.5, 0.2, 0.5], std: [0.5, 0.1, 0.25] });
    const expected = [
      (0 - 0.5) / 0.5,
      (1 - 0.5) / 0.5,
      (0.2 - 0.2) / 0.1,
      (0.4 - 0.2) / 0.1,
      (1 - 0.5) / 0.25,
      (0 - 0.5) / 0.25,
    ];
    out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${i}: ${v} vs ${expected[i]}`));
  });

  it('leaves bytes as they are without rescale or normalisation', () => {
    assert.deepEqual([...toChannelsFirst(image, {})], [0, 255, 51, 102, 255, 0]);
  });
});

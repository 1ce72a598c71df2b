import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { roundHalfEven, smartResize } from './smart-resize.js';

const qwen = { factor: 28, minPixels: 56 * 56, maxPixels: 28 * 28 * 1280 };

describe('smartResize', () => {
  it('rounds halves to the even neighbour, as Python does', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, -0.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, 4, 0, 2, 3]);
  });

  it('gives the grids of the Qwen2-VL fixtures (h×w 150×200, 480×640, 301×37)', () => {
    assert.deepEqual(smartResize(150, 200, qwen), { height: 140, width: 196 });
    assert.deepEqual(smartResize(480, 640, qwen), { height: 476, width: 644 });
    assert.deepEqual(smartResize(301, 37, qwen), { height: 308, width: 28 });
  });

  it('rounds 2.5 and 3.5 patches to 2 and 4 (70×98 → 56×112)', () => {
    assert.deepEqual(smartResize(70, 98, qwen), { height: 56, width: 112 });
  });

  it('scales down to fit max_pixels, flooring to multiples of 28', () => {
    // 4000×3000: beta = sqrt(12e6 / 1003520) ≈ 3.458; 4000 / beta / 28 ≈ 41.3 → 41·28 = 1148; 3000 → 30·28 = 840.
    assert.deepEqual(smartResize(4000, 3000, qwen), { height: 1148, width: 840 });
    assert.deepEqual(smartResize(1000, 1000, { ...qwen, maxPixels: 200704 }), { height: 448, width: 448 });
  });

  it('scales up to reach min_pixels, ceiling to multiples of 28', () => {
    assert.deepEqual(smartResize(10, 10, qwen), { height: 56, width: 56 });
  });

  it('keeps a side of at least one factor for a thin image', () => {
    assert.deepEqual(smartResize(20, 3000, qwen), { height: 28, width: 2996 });
  });

  it('refuses an aspect ratio beyond 200:1', () => {
    assert.throws(() => smartResize(10, 2001, qwen), /aspect ratio 2001×10 is more extreme than 200:1/);
  });
});

/**
 * Specification of the prompt's M-RoPE table, on cases small enough to number by hand.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { mropePositionTable } from './mrope-positions.js';

const rows = (table: Int32Array, n: number) => [
  Array.from(table.subarray(0, n)),
  Array.from(table.subarray(n, 2 * n)),
  Array.from(table.subarray(2 * n)),
];

describe('the prompt’s 3-D positions (Qwen2-VL numbering)', () => {
  it('numbers text only as 0, 1, 2, … in all three components', () => {
    assert.deepEqual(rows(mropePositionTable(4, [], 2), 4), [
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
  });

  it('gives an image its merged grid indices offset by where it starts, and the text after it max + 1', () => {
    // 2 text tokens, an image of 1 × 4 × 6 patches (merged 2 × 3 = 6 tokens), 2 text tokens.
    const table = mropePositionTable(10, [{ offset: 2, count: 6, grid: [1, 4, 6] }], 2);
    assert.deepEqual(rows(table, 10), [
      [0, 1, 2, 2, 2, 2, 2, 2, 5, 6],
      [0, 1, 2, 2, 2, 3, 3, 3, 5, 6],
      [0, 1, 2, 3, 4, 2, 3, 4, 5, 6],
    ]);
  });

  it('numbers two images one after the other, in prompt order', () => {
    // Image A (2 × 2 merged) at 1, a text token, image B (1 × 2 merged) at 6, a text token.
    const table = mropePositionTable(
      9,
      [
        { offset: 6, count: 2, grid: [1, 2, 4] },
        { offset: 1, count: 4, grid: [1, 4, 4] },
      ],
      2,
    );
    assert.deepEqual(rows(table, 9), [
      [0, 1, 1, 1, 1, 3, 4, 4, 6],
      [0, 1, 1, 2, 2, 3, 4, 4, 6],
      [0, 1, 2, 1, 2, 3, 4, 5, 6],
    ]);
  });

  it('refuses a grid that does not give the image’s feature count', () => {
    assert.throws(
      () => mropePositionTable(10, [{ offset: 2, count: 5, grid: [1, 4, 6] }], 2),
      (e) => isUnmaskError(e, 'invalid_bundle') && /has 6 positions, but its features have 5 rows/.test(e.message),
    );
  });
});

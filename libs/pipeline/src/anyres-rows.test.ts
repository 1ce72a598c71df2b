import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UnmaskError } from '@unmask/core';
import { anyresGrid, expandGridPinpoints } from '@unmask/vision';
import { anyresLayout, mergeAnyresFeatures, pythonFloorDiv } from './anyres-rows.js';

/**
 * Row counts from ML-GSAI/LLaDA-V's `prepare_inputs_labels_for_multimodal` (anyres_max_4,
 * spatial_unpad, pinpoints "(1x1),...,(6x6)" of 384 px, 729 rows per view): see
 * test-fixtures/upstream-anyres/README.md.
 */
const sweep = JSON.parse(
  readFileSync(fileURLToPath(new URL('../test-fixtures/upstream-anyres/sweep.json', import.meta.url)), 'utf8'),
) as { sizes: [width: number, height: number, columns: number, rows: number, total: number][] };
const PINPOINTS = expandGridPinpoints('(1x1),...,(6x6)', 384);
const rowsOf = (w: number, h: number) => anyresLayout(w, h, anyresGrid(w, h, PINPOINTS, 384), 27, 4);

describe('anyres row counts from the image size alone = LLaDA-V’s (upstream run over many sizes)', () => {
  it(`${sweep.sizes.length} sizes from 1×1 to 10000×100: grid and rows`, () => {
    const mismatches = sweep.sizes.filter(([w, h, columns, rows, total]) => {
      const layout = rowsOf(w, h);
      return layout.grid.columns !== columns || layout.grid.rows !== rows || layout.rows !== total;
    });
    assert.deepEqual(mismatches, []);
  });

  it('a 384² image takes the base view’s 729 rows plus 27 rows of 27 cells and a newline: 1485', () => {
    assert.equal(rowsOf(384, 384).rows, 729 + 27 * 28);
  });

  it('a large image is scaled down to about four tiles’ worth of cells (anyres_max_4), a little more allowed (×1.1²)', () => {
    const huge = rowsOf(3000, 2000);
    assert.deepEqual([huge.grid.columns, huge.grid.rows], [6, 4]);
    assert.deepEqual(huge.kept, { top: 0, left: 0, height: 108, width: 162 });
    assert.deepEqual(huge.output, { height: 44, width: 66 });
    // 4000×500 keeps 21 × 162 cells = 1.08² × 4 tiles: under the 1.1 slack, not scaled.
    assert.deepEqual(rowsOf(4000, 500).output, { height: 21, width: 162 });
  });

  it('floors as Python’s float // does', () => {
    assert.equal(pythonFloorDiv(108, 2.449489742783178), 44);
    assert.equal(pythonFloorDiv(7, 2), 3);
    assert.equal(pythonFloorDiv(-7, 2), -4);
    assert.equal(pythonFloorDiv(1, 0.1), 9); // Python: 1 // 0.1 == 9.0, while ⌊1 / 0.1⌋ = 10
  });
});

describe('mergeAnyresFeatures: the rows, in order', () => {
  // 2 × 1 tiles of side 2, hidden 1: each cell's value names it (view · 10 + cell).
  const grid = { width: 20, height: 10, columns: 2, rows: 1 };
  const views = Float32Array.from({ length: 3 * 4 }, (_, i) => Math.floor(i / 4) * 10 + (i % 4));
  const newline = Float32Array.of(-1);

  it('base view first, then the tile map row by row, a newline after each row', () => {
    const layout = anyresLayout(20, 10, grid, 2, undefined);
    assert.deepEqual(layout.kept, { top: 0, left: 0, height: 2, width: 4 });
    assert.equal(layout.rows, 4 + 2 * 5);
    assert.deepEqual(
      [...mergeAnyresFeatures(views, layout, newline, 1)],
      [0, 1, 2, 3, 10, 11, 20, 21, -1, 12, 13, 22, 23, -1],
    );
  });

  it('cuts the padding bands off (unpad): a 40×10 image in a 20×10 grid keeps the middle rows', () => {
    const layout = anyresLayout(40, 10, grid, 2, undefined);
    // newHeight = trunc(10 · 4/40) = 1, padding (2 − 1) // 2 = 0: both rows stay (upstream's symmetric cut).
    assert.deepEqual(layout.kept, { top: 0, left: 0, height: 2, width: 4 });
    const tall = anyresLayout(10, 80, { width: 10, height: 40, columns: 1, rows: 4 }, 4, undefined);
    // newWidth = trunc(10 · 16/80) = 2, padding (4 − 2) // 2 = 1.
    assert.deepEqual(tall.kept, { top: 0, left: 1, height: 16, width: 2 });
  });

  it('scales down bilinearly as torch.nn.functional.interpolate (align_corners false)', () => {
    // One view of side 4 (a 4×4 map, hidden 1) with budget 1/4 of a tile → times 2 → 2×2.
    const tile = { width: 4, height: 4, columns: 1, rows: 1 };
    const layout = anyresLayout(4, 4, tile, 4, 0.25);
    assert.deepEqual(layout.output, { height: 2, width: 2 });
    const map = Float32Array.from({ length: 32 }, (_, i) => (i < 16 ? 0 : i - 16));
    const out = mergeAnyresFeatures(map, layout, newline, 1);
    // Output (0, 0) samples source (0.5, 0.5): the mean of cells 0, 1, 4, 5 = 2.5.
    assert.deepEqual([...out.subarray(16)], [2.5, 4.5, -1, 10.5, 12.5, -1]);
  });

  it('refuses features that do not match the layout', () => {
    const layout = anyresLayout(20, 10, grid, 2, undefined);
    assert.throws(
      () => mergeAnyresFeatures(views.subarray(4), layout, newline, 1),
      (e) => e instanceof UnmaskError && /expected 3 views × 4 rows × 1/.test(e.message),
    );
  });
});

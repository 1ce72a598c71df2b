/**
 * Specification of the M-RoPE angle table on a case small enough to compute by hand: head size 8
 * (4 rotary frequencies), θ = 100 (frequencies 1, 100^-1/4 = 0.31622777, 0.1, 0.031622777),
 * sections [2, 1, 1]: frequencies 0 and 1 turn with the temporal index, 2 with the height index,
 * 3 with the width index.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool, UnmaskError } from '@unmask/core';
import { runGraph } from '../../test-support/tower-fixtures.js';
import { checkMropeSections, mropeAngles, mropeComponentOf } from './mrope-rotary.js';
import { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';

const D = 8;
const invFreq = Float32Array.from({ length: D / 2 }, (_, j) => 1 / 100 ** ((2 * j) / D));

/** position_ids [3, 1, S] → angles [1, S, 4] and x [1, 1, S, 8] rotated as the LM graph rotates q and k. */
function buildGraph(): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('mrope');
  const positions = g.input('position_ids', 'INT64', [3, 1, 'seq']);
  const x = g.input('x', 'FLOAT', [1, 1, 'seq', D]);
  const angles = mropeAngles(g, positions, invFreq, [2, 1, 1]);
  g.output(g.op('Identity', [angles], {}, 'angles'), 'FLOAT', [1, 'seq', D / 2]);
  const full = g.op('Unsqueeze', [g.op('Concat', [angles, angles], { axis: -1 }), g.int64s('axis_heads', [1])]);
  const first = g.op('Slice', [x, g.int64s('s0', [0]), g.int64s('s1', [D / 2]), g.int64s('ax', [3])]);
  const second = g.op('Slice', [x, g.int64s('s1b', [D / 2]), g.int64s('s2', [D]), g.int64s('axb', [3])]);
  const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: 3 });
  g.output(
    g.op('Add', [g.op('Mul', [x, g.op('Cos', [full])]), g.op('Mul', [rotated, g.op('Sin', [full])])], {}, 'y'),
    'FLOAT',
    [1, 1, 'seq', D],
  );
  return g;
}

describe('M-RoPE rotary angles (mrope-rotary.ts)', () => {
  let pool: OnnxWorkerPool;
  let dir: string;
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-mrope-'));
    buildGraph().write(join(dir, 'mrope.onnx'));
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns each frequency by its section’s component, and rotates q/k pairs (j, j + 4) by those angles', async () => {
    // Token 0: an image token at (t, h, w) = (3, 5, 7); token 1: a text token at 4 in all three.
    const out = await runGraph(pool, join(dir, 'mrope.onnx'), {
      position_ids: { type: 'int64', dims: [3, 1, 2], data: BigInt64Array.from([3n, 4n, 5n, 4n, 7n, 4n]) },
      x: {
        type: 'float32',
        dims: [1, 1, 2, D],
        data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]),
      },
    });
    // By hand: [3·1, 3·0.31622777, 5·0.1, 7·0.031622777] and [4·1, 4·0.31622777, 4·0.1, 4·0.031622777].
    const angles = Array.from(out.angles!.data as Float32Array);
    const expectedAngles = [3, 0.9486833, 0.5, 0.22135944, 4, 1.2649111, 0.4, 0.12649111];
    angles.forEach((a, i) =>
      assert.ok(Math.abs(a - expectedAngles[i]!) < 1e-6, `angle ${i}: ${a} vs ${expectedAngles[i]}`),
    );
    // y_j = x_j cos a_j − x_{j+4} sin a_j, y_{j+4} = x_{j+4} cos a_j + x_j sin a_j, for x = 1…8
    // (e.g. y_2 of token 0 = 3 cos 0.5 − 7 sin 0.5 = −0.723231).
    const expectedY = [
      -1.695593, -3.710386, -0.723231, 2.145951, -4.808842, 5.121819, 7.581355, 8.683023, 3.130369, -5.11921, 0.037255,
      2.95881, -4.025021, 3.713986, 7.615682, 8.440702,
    ];
    Array.from(out.y!.data as Float32Array).forEach((y, i) =>
      assert.ok(Math.abs(y - expectedY[i]!) < 1e-5, `y ${i}: ${y} vs ${expectedY[i]}`),
    );
  });

  it('maps Dimple’s [16, 24, 24] sections onto the 64 frequencies of a 128-wide head', () => {
    const components = mropeComponentOf(checkMropeSections([16, 24, 24], 128, 'config.json'));
    assert.equal(components.length, 64);
    assert.deepEqual(
      [components[0], components[15], components[16], components[39], components[40], components[63]],
      [0, 0, 1, 1, 2, 2],
    );
  });

  it('refuses sections that are not three or do not sum to half the head size, naming mrope_section', () => {
    assert.throws(
      () => checkMropeSections([16, 24], 128, 'config.json'),
      (e) => e instanceof UnmaskError && /mrope_section must be three non-negative integers/.test(e.message),
    );
    assert.throws(
      () => checkMropeSections([16, 24, 20], 128, 'config.json'),
      (e) => e instanceof UnmaskError && /sums to 60, but the head size 128 has 64 rotary frequencies/.test(e.message),
    );
  });
});

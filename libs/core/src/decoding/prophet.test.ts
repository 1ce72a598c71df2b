/**
 * Specification of Prophet's early commit (pixeli99/Prophet, generate_earlyexit.py), through the
 * engine against a scripted model whose logits set each position's top-1/top-2 gap exactly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runScripted as run } from '../test-support/scripted-run.js';

/** Logits with top-1 token `token` at `gap` above every other token (exact top-1/top-2 gap). */
function gapped(token: number, gap: number): Float32Array {
  return Float32Array.from({ length: 16 }, (_, i) => (i === token ? gap : 0));
}

/** An answer of `n` positions: the window (the first 5) with gap `windowGap`, the rest with `restGap`. */
function answer(n: number, windowGap: number, restGap: number, window = [0, 5]): Float32Array[] {
  return Array.from({ length: n }, (_, a) =>
    gapped(5 + (a % 8), a >= (window[0] as number) && a < (window[1] as number) ? windowGap : restGap + a * 0.01),
  );
}

describe('Prophet early commit', () => {
  it('fires when the mean gap over the window reaches the threshold (≥: equality fires), committing every mask', async () => {
    const { order, steps, result } = await run(answer(8, 7.5, 1), { name: 'prophet' });
    assert.deepEqual(order, [[0, 1, 2, 3, 4, 5, 6, 7]]);
    assert.equal(steps[0]?.earlyCommit, true);
    assert.equal(result.forwardPasses, 1);
  });

  it('measures progress as step / total steps, not as the share of masks committed', async () => {
    // 8 positions, 4 steps (2 per step), gap 5: step 1 has progress 0.25 (threshold 7.5), step 2 has 0.5
    // (threshold 5) and fires — after only 2 of 8 masks, a 0.25 share.
    const { steps, result } = await run(answer(8, 5, 1), { name: 'prophet', steps: 4 });
    assert.deepEqual(
      steps.map((s) => s.earlyCommit),
      [false, true],
    );
    assert.equal(result.forwardPasses, 2);
  });

  it('reads only the window: large gaps elsewhere do not fire it, and committed window positions still count', async () => {
    const quiet = await run(answer(8, 1, 9), { name: 'prophet' });
    assert.ok(quiet.steps.every((s) => !s.earlyCommit));
    assert.equal(quiet.result.forwardPasses, 8);
    // the window at 0..5 is committed first (largest gaps) and keeps its gap 2.6 ≥ 2.5 once progress ≥ 0.67
    const late = await run(answer(8, 2.6, 0.5), { name: 'prophet' });
    assert.equal(late.steps.findIndex((s) => s.earlyCommit) + 1, 6); // step 6 of 8: 0.75 ≥ 0.67
  });

  it('places the window with answer_start and answer_length', async () => {
    const shifted = answer(8, 1, 1).map((row, a) => (a >= 3 && a < 5 ? gapped(5, 8) : row));
    const { result } = await run(shifted, {
      name: 'prophet',
      early_commit: { answer_start: 3, answer_length: 2 },
    });
    assert.equal(result.forwardPasses, 1);
  });

  it('commits masks of later blocks too when it fires', async () => {
    const { order } = await run(answer(8, 8, 8), { name: 'prophet', block_length: 4, steps: 8 });
    assert.deepEqual(order, [[0, 1, 2, 3, 4, 5, 6, 7]]);
  });

  it('uses custom thresholds between boundaries', async () => {
    const { steps } = await run(answer(4, 3, 1, [0, 4]), {
      name: 'prophet',
      early_commit: { thresholds: [7.5, 2.5], boundaries: [0.5] },
    });
    // steps 1 (0.25) and 2 (0.5): 0.5 is not < 0.5, so the 2.5 threshold applies at step 2
    assert.deepEqual(
      steps.map((s) => s.earlyCommit),
      [false, true],
    );
  });
});

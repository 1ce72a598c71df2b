import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiffusionStep } from '@unmask/protocol';
import { canvasAt, runStats } from './denoising.js';

const step = (n: number, committed: [number, string, number | null][], masks: number, ms = n * 10): DiffusionStep => ({
  step: n,
  block: 0,
  canvas_length: 4,
  committed: committed.map(([position, text, confidence]) => ({ position, token: 100 + position, text, confidence })),
  masks_remaining: masks,
  forward_passes: n,
  early_commit: false,
  elapsed_ms: ms,
});

const steps = [
  step(1, [[2, ' cat', 0.95]], 3),
  step(
    2,
    [
      [0, 'a', 0.7],
      [1, ' big', 0.6],
    ],
    1,
  ),
  step(3, [[3, '', null]], 0),
];

describe('canvasAt', () => {
  it('shows every position masked before the first step', () => {
    const cells = canvasAt(steps, 0);
    assert.equal(cells.length, 4);
    assert.ok(cells.every((c) => c.text === null && !c.fresh));
  });

  it('fills the positions committed up to the step shown, out of order, and marks that step’s tokens fresh', () => {
    const cells = canvasAt(steps, 2);
    assert.deepEqual(
      cells.map((c) => c.text),
      ['a', ' big', ' cat', null],
    );
    assert.deepEqual(
      cells.map((c) => c.fresh),
      [true, true, false, false],
    );
    assert.deepEqual(
      cells.map((c) => c.step),
      [2, 2, 1, null],
    );
    assert.equal(cells[2]?.confidence, 0.95);
  });

  it('keeps end-of-text positions, whose confidence is null, as filled', () => {
    const last = canvasAt(steps, 3)[3];
    assert.equal(last?.text, '');
    assert.equal(last?.confidence, null);
    assert.equal(last?.fresh, true);
  });
});

describe('runStats', () => {
  it('counts passes, filled positions and positions per pass from the last step', () => {
    assert.deepEqual(runStats(steps), {
      forwardPasses: 3,
      canvasLength: 4,
      filled: 4,
      masksRemaining: 0,
      tokensPerStep: 4 / 3,
      elapsedMs: 30,
    });
  });

  it('is all zeros before any step', () => {
    assert.equal(runStats([]).forwardPasses, 0);
    assert.equal(runStats([]).tokensPerStep, 0);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiffusionStep } from '@unmask/protocol';
import { canvasAt, cellLabel, describeCell, END_OF_TEXT_LABEL, runStats } from './denoising.js';

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

describe('cellLabel and describeCell', () => {
  const cells = canvasAt(steps, 3);
  it('shows end-of-text as a word in plain letters that every font draws, and says so to screen readers', () => {
    assert.equal(cellLabel(cells[3]!), END_OF_TEXT_LABEL);
    assert.match(END_OF_TEXT_LABEL, /^[a-z]+$/);
    assert.equal(
      describeCell(cells[3]!),
      'position 4: end of text, no confidence (filled by end-of-text prediction), step 3, new in this step',
    );
  });
  it('makes spaces and line breaks visible and leaves masked cells empty', () => {
    assert.equal(cellLabel(cells[2]!), '·cat');
    assert.equal(cellLabel({ ...cells[2]!, text: 'a\nb' }), 'a↵b');
    assert.equal(cellLabel(canvasAt(steps, 0)[0]!), '');
    assert.equal(describeCell(canvasAt(steps, 0)[0]!), 'position 1: masked');
  });
});

/**
 * Specification of every commit rule, run through the whole engine against a scripted model:
 * which positions commit at which step, and how many forward passes a request takes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodingEngine } from './decoding-engine.js';
import type { StepEvent } from './events.js';
import { DEFAULT_INFO, ScriptedModel, peaked } from '../testing/scripted-model.js';

const PROMPT = [2, 3, 4];
const MASK = DEFAULT_INFO.maskTokenId;
const EOS = DEFAULT_INFO.eosTokenId;

/** A model that predicts, for answer position a, token `answer[a][0]` with probability `answer[a][1]`. */
function fixedModel(answer: readonly (readonly [number, number])[]) {
  return new ScriptedModel(({ target }) => {
    const entry = answer[target - PROMPT.length];
    if (!entry) throw new Error(`no script for position ${target}`);
    return peaked(entry[0], entry[1]);
  });
}

async function run(answer: readonly (readonly [number, number])[], strategy: unknown, extra: object = {}) {
  const model = fixedModel(answer);
  const stream = new DecodingEngine(model).generate({
    promptIds: PROMPT,
    maxTokens: answer.length,
    strategy,
    ...extra,
  });
  const steps: StepEvent[] = [];
  for await (const step of stream) steps.push(step);
  return { steps, result: await stream.result, model, order: steps.map((s) => s.committed.map((c) => c.position)) };
}

// Confidences chosen so that the order by confidence is 2, 0, 3, 1.
const FOUR: [number, number][] = [
  [5, 0.8],
  [6, 0.3],
  [7, 0.95],
  [8, 0.6],
];

describe('low_confidence (LLaDA fixed steps)', () => {
  it('with one token per step commits the most confident mask first', async () => {
    const { order, result } = await run(FOUR, { name: 'low_confidence' });
    assert.deepEqual(order, [[2], [0], [3], [1]]);
    assert.deepEqual(result.tokenIds, [5, 6, 7, 8]);
    assert.equal(result.forwardPasses, 4);
  });

  it('with length/2 steps commits two per step', async () => {
    const { order } = await run(FOUR, { name: 'low_confidence', steps: 2 });
    assert.deepEqual(order, [
      [0, 2],
      [1, 3],
    ]);
  });

  it('spreads an uneven schedule with the remainder first (5 masks over 2 steps: 3 then 2)', async () => {
    const five: [number, number][] = [...FOUR, [9, 0.5]];
    const { order } = await run(five, { name: 'low_confidence', steps: 2 });
    assert.deepEqual(
      order.map((o) => o.length),
      [3, 2],
    );
  });

  it('decodes semi-autoregressive blocks left to right, whatever the confidence in later blocks', async () => {
    const { order, steps } = await run(FOUR, { name: 'low_confidence', steps: 4, block_length: 2 });
    assert.deepEqual(order, [[0], [1], [2], [3]]);
    assert.deepEqual(
      steps.map((s) => s.block),
      [0, 0, 1, 1],
    );
  });

  it('with random remasking picks positions from the seed, reproducibly', async () => {
    const a = await run(FOUR, { name: 'low_confidence', remasking: 'random' }, { sampling: { seed: 7 } });
    const b = await run(FOUR, { name: 'low_confidence', remasking: 'random' }, { sampling: { seed: 7 } });
    assert.deepEqual(a.order, b.order);
    assert.deepEqual(a.order.flat().sort(), [0, 1, 2, 3]);
  });
});

describe('confident (Dimple confident decoding)', () => {
  it('commits every mask above τ in one step and stops when no mask remains', async () => {
    const { order, result } = await run(FOUR, { name: 'confident', threshold: 0.5 });
    assert.deepEqual(order, [[0, 2, 3], [1]]);
    assert.equal(result.forwardPasses, 2);
  });

  it('commits everything in a single pass when every mask is above τ', async () => {
    const { order } = await run(FOUR, { name: 'confident', threshold: 0.2 });
    assert.deepEqual(order, [[0, 1, 2, 3]]);
  });

  it('falls back to the schedule (one per step by default) when nothing is above τ', async () => {
    const { order } = await run(FOUR, { name: 'confident', threshold: 0.99 });
    assert.deepEqual(order, [[2], [0], [3], [1]]);
  });

  it('uses a strict comparison: a confidence equal to τ does not pass', async () => {
    const equal: [number, number][] = [
      [5, 0.5],
      [6, 0.25],
    ];
    const { order } = await run(equal, { name: 'confident', threshold: 0.5 });
    assert.deepEqual(order, [[0], [1]]);
  });

  it('measures confidence as the top-1/top-2 margin when asked', async () => {
    // p = 0.8 → margin 0.8 − 0.2/15 ≈ 0.787; p = 0.6 → ≈ 0.573
    const { order } = await run(FOUR, { name: 'confident', threshold: 0.7, confidence: 'margin' });
    assert.deepEqual(order[0], [0, 2]);
  });

  it('measures confidence as exp(−entropy) when asked', async () => {
    const { steps } = await run(FOUR, { name: 'confident', threshold: 0.99, confidence: 'neg_entropy' });
    const first = steps[0]?.committed[0];
    assert.equal(first?.position, 2);
    assert.ok(first && first.confidence !== null && first.confidence > 0 && first.confidence < 0.95);
  });
});

describe('threshold and factor (Fast-dLLM)', () => {
  it('threshold commits the top-1 plus every mask with confidence ≥ τ (equality passes)', async () => {
    const { order } = await run(FOUR, { name: 'threshold', threshold: 0.8 });
    assert.deepEqual(order, [[0, 2], [3], [1]]);
  });

  it('threshold still commits the top-1 when nothing reaches τ', async () => {
    const { order } = await run(FOUR, { name: 'threshold', threshold: 0.99 });
    assert.deepEqual(order, [[2], [0], [3], [1]]);
  });

  it('factor accepts the i-th most confident while confidence ≥ 1 − f/(i+1)', async () => {
    // f = 1: rank 2 needs ≥ 0.667 (0.8 passes), rank 3 needs ≥ 0.75 (0.6 fails).
    const { order } = await run(FOUR, { name: 'factor', factor: 1 });
    assert.deepEqual(order[0], [0, 2]);
  });
});

describe('ascending step size', () => {
  it('commits 1, 2, 4, … tokens at steps 0, 1, 2, …', async () => {
    const seven: [number, number][] = Array.from({ length: 7 }, (_, i) => [5 + i, 0.9 - i * 0.05] as [number, number]);
    const { order } = await run(seven, { name: 'ascending' });
    assert.deepEqual(
      order.map((o) => o.length),
      [1, 2, 4],
    );
  });
});

describe('Prophet early commit', () => {
  it('commits every remaining mask at once when the mean logit gap is above the threshold', async () => {
    const sure: [number, number][] = FOUR.map(([t]) => [t, 0.9999]);
    const { order, steps, result } = await run(sure, { name: 'prophet' });
    assert.deepEqual(order, [[0, 1, 2, 3]]);
    assert.equal(steps[0]?.earlyCommit, true);
    assert.equal(result.forwardPasses, 1);
  });

  it('follows the fixed schedule while the model is unsure', async () => {
    const { order, steps } = await run(FOUR, { name: 'prophet' });
    assert.deepEqual(order, [[2], [0], [3], [1]]);
    assert.ok(steps.every((s) => !s.earlyCommit));
  });

  it('commits masks of later blocks too when it fires', async () => {
    const sure: [number, number][] = FOUR.map(([t]) => [t, 0.9999]);
    const { order } = await run(sure, { name: 'prophet', block_length: 2, steps: 4 });
    assert.deepEqual(order, [[0, 1, 2, 3]]);
  });

  it('uses a threshold that falls with progress', async () => {
    // Logit gaps: p = 0.99 → log(0.99 / (0.01/15)) ≈ 7.3; p = 0.9 → ≈ 4.9. Their mean stays under
    // 7.5 during the first half, and passes 2.5 once half the answer is committed.
    const answer: [number, number][] = [
      [5, 0.99],
      [6, 0.985],
      [7, 0.9],
      [8, 0.9],
    ];
    const { order } = await run(answer, {
      name: 'prophet',
      early_commit: { thresholds: [7.5, 2.5], boundaries: [0.5] },
    });
    assert.deepEqual(order, [[0], [1], [2, 3]]);
  });
});

describe('EOS handling', () => {
  it('fills everything after a committed EOS with EOS (end-of-text prediction) and stops', async () => {
    const answer: [number, number][] = [
      [EOS, 0.99],
      [6, 0.5],
      [7, 0.5],
      [8, 0.5],
    ];
    const { steps, result } = await run(answer, { name: 'low_confidence' });
    assert.equal(result.forwardPasses, 1);
    const [first, ...filled] = steps[0]?.committed ?? [];
    assert.equal(first?.position, 0);
    assert.equal(first?.token, EOS);
    assert.ok(Math.abs((first?.confidence ?? 0) - 0.99) < 0.01);
    assert.deepEqual(filled, [
      { position: 1, token: EOS, confidence: null },
      { position: 2, token: EOS, confidence: null },
      { position: 3, token: EOS, confidence: null },
    ]);
    assert.deepEqual(result.tokenIds, []);
    assert.equal(result.finishReason, 'stop');
  });

  it('without eos_fill decodes every position', async () => {
    const answer: [number, number][] = [
      [5, 0.5],
      [EOS, 0.99],
      [7, 0.4],
    ];
    const { result } = await run(answer, { name: 'low_confidence', eos_fill: false });
    assert.equal(result.forwardPasses, 3);
    assert.deepEqual(result.tokenIds, [5]);
  });

  it('scales EOS confidence down early (EOSER), so content commits first', async () => {
    const answer: [number, number][] = [
      [5, 0.6],
      [EOS, 0.9],
    ];
    const plain = await run(answer, { name: 'low_confidence', eos_fill: false });
    assert.deepEqual(plain.order, [[1], [0]]);
    const rejected = await run(answer, { name: 'low_confidence', eos_fill: false, eos_gamma: 0.5 });
    assert.deepEqual(rejected.order, [[0], [1]]);
  });

  it('reports finish reason length when the canvas fills without an EOS', async () => {
    const { result } = await run(FOUR, { name: 'confident' });
    assert.equal(result.finishReason, 'length');
  });
});

describe('never predicting the mask token', () => {
  it('picks the best real token even when the mask token has the highest logit', async () => {
    const model = new ScriptedModel(() => peaked(MASK, 0.9));
    const result = await new DecodingEngine(model).generate({
      promptIds: PROMPT,
      maxTokens: 2,
      strategy: { name: 'confident' },
    }).result;
    assert.ok(result.canvas.every((id) => id !== MASK));
  });
});

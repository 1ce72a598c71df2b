/**
 * Specification of every commit rule, run through the whole engine against a scripted model:
 * which positions commit at which step, and how many forward passes a request takes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodingEngine } from './decoding-engine.js';
import { DEFAULT_INFO, ScriptedModel, peaked } from '../test-support/scripted-model.js';
import { PROMPT, runScripted, scriptedRandom } from '../test-support/scripted-run.js';

const MASK = DEFAULT_INFO.maskTokenId;
const EOS = DEFAULT_INFO.eosTokenId;
const run = runScripted;

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

  it("with random remasking commits the masks with the largest uniform draws (LLaDA's x0_p = torch.rand)", async () => {
    // one draw per mask of the block, in canvas order: 0.1, 0.9, 0.4, 0.7 → 2 per step: positions 1 and 3
    const random = scriptedRandom([0.1, 0.9, 0.4, 0.7, 0.3, 0.6]);
    const { order } = await run(
      FOUR,
      { name: 'low_confidence', remasking: 'random', steps: 2 },
      {},
      { random: () => random },
    );
    // second step: draws 0.3, 0.6 for positions 0 and 2 → both (2 scheduled)
    assert.deepEqual(order, [
      [1, 3],
      [0, 2],
    ]);
  });

  it('a block with fewer masks than steps (fixed template tokens) ends when its masks do', async () => {
    // 2 masks in a block of 4 with 4 steps: LLaDA's schedule is 1, 1, 0, 0; the zero steps are not run
    const { steps, result } = await run(
      FOUR.slice(0, 2),
      { name: 'low_confidence', steps: 4 },
      {
        template: {
          parts: [
            { type: 'slot', length: 2 },
            { type: 'text', ids: [9, 9] },
          ],
        },
      },
    );
    assert.deepEqual(
      steps.map((s) => s.committed.length),
      [1, 1],
    );
    assert.equal(result.forwardPasses, 2);
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

  it("factor commits the last mask too when it is the first to fail (Fast-dLLM's top_i += 1)", async () => {
    // f = 1, after [0, 2]: two masks left, 0.6 first (always), then 0.3 fails its 0.667 — the last one: both commit.
    const { order, result } = await run(FOUR, { name: 'factor', factor: 1 });
    assert.deepEqual(order, [
      [0, 2],
      [1, 3],
    ]);
    assert.equal(result.forwardPasses, 2);
    // with three masks left and the second failing, the third stays
    const five: [number, number][] = [...FOUR, [9, 0.2]];
    const { order: five_order } = await run(five, { name: 'factor', factor: 1 });
    assert.deepEqual(five_order, [[0, 2], [3], [1, 4]]);
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

  it('counts the widest step by decoded positions, not by the end-of-text fill', async () => {
    const answer: [number, number][] = [
      [5, 0.5],
      [EOS, 0.99],
      [7, 0.4],
      [8, 0.4],
    ];
    const onePerStep = await run(answer, { name: 'low_confidence' });
    assert.equal(onePerStep.result.forwardPasses, 2, 'ended early by the fill');
    assert.equal(onePerStep.result.widestStep, 1, 'yet decoded one token per step');
    const parallel = await run(FOUR, { name: 'low_confidence', steps: 2 });
    assert.equal(parallel.result.widestStep, 2);
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

describe('the mask token', () => {
  it('with keep_mask_logit stays in the softmax, as the upstream code leaves it; by default it is left out', async () => {
    // peaked() gives every other id, the mask included, (1 − p)/15: kept, the confidence is exactly p
    const kept = await run([[5, 0.8]], { name: 'low_confidence', keep_mask_logit: true });
    assert.ok(Math.abs((kept.steps[0]?.committed[0]?.confidence ?? 0) - 0.8) < 1e-6);
    const left = await run([[5, 0.8]], { name: 'low_confidence' });
    assert.ok(Math.abs((left.steps[0]?.committed[0]?.confidence ?? 0) - 0.8 / (1 - 0.2 / 15)) < 1e-6);
  });

  it('is never the token, kept in the softmax or not: the best real token is chosen even when the mask has the highest logit', async () => {
    for (const keep of [false, true]) {
      const model = new ScriptedModel(() => peaked(MASK, 0.9));
      const result = await new DecodingEngine(model).generate({
        promptIds: PROMPT,
        maxTokens: 2,
        strategy: { name: 'confident', keep_mask_logit: keep },
      }).result;
      assert.ok(result.canvas.every((id) => id !== MASK));
    }
  });
});

/**
 * Specification of `confident`: Dimple's confident decoding (DimpleGenerationMixin._sample,
 * decoding_pipeline 'dim'), through the engine against a scripted model. The random fallback of
 * `alg: 'origin'` runs on injected uniforms.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { peaked } from '../test-support/scripted-model.js';
import { runScripted as run, scriptedRandom } from '../test-support/scripted-run.js';

// Confidences chosen so that the order by confidence is 2, 0, 3, 1.
const FOUR: [number, number][] = [
  [5, 0.8],
  [6, 0.3],
  [7, 0.95],
  [8, 0.6],
];

describe('confident (Dimple confident decoding)', () => {
  it('commits every mask above τ in one step and stops when no mask remains', async () => {
    const { order, result } = await run(FOUR, { name: 'confident', threshold: 0.5 });
    assert.deepEqual(order, [[0, 2, 3], [1]]);
    assert.equal(result.forwardPasses, 2);
  });

  it('uses a strict comparison: a confidence equal to τ does not pass', async () => {
    // two positions at exactly 0.5 (two tokens of equal logit, the rest −∞): with ≥ both would commit
    const half = (a: number) => Float32Array.from({ length: 16 }, (_, i) => (i === a || i === a + 1 ? 0 : -Infinity));
    const { order } = await run([half(5), half(6), peaked(7, 0.25)], { name: 'confident', threshold: 0.5, steps: 3 });
    assert.deepEqual(order[0], [0]);
  });

  it('when nothing passes τ, counts by the eps schedule re-anchored at the mask ratio, the most confident first', async () => {
    // 4 steps, linspace(1, 1e-3, 5) = 1, 0.75025, 0.5005, 0.25075, 0.001:
    // step 0, t = 1: 4·(1 − 0.75025) → 0, 4·(1 − 0.5005) → 1; step 1, t = 0.75: 3·(1 − 0.5005/0.75) → 0,
    // 3·(1 − 0.25075/0.75) → 1; step 2, t = 0.5: 2·(1 − 0.25075/0.5) → 0, then eps: all
    const { order, result } = await run(FOUR, { name: 'confident', threshold: 0.99 });
    assert.deepEqual(order, [[2], [0], [1, 3]]);
    assert.equal(result.forwardPasses, 3);
  });

  it('commits every mask left at the last step, above τ or not', async () => {
    const { order } = await run(FOUR, { name: 'confident', threshold: 0.99, steps: 2 });
    assert.deepEqual(order, [[2], [0, 1, 3]]);
  });

  it("alg 'origin' takes the fallback's positions at random (Dimple's torch.randperm)", async () => {
    // step 0 commits 1 position: a uniform of 0.3 over the 4 masks in canvas order picks index 1
    const random = scriptedRandom([0.3]);
    const { order } = await run(
      FOUR,
      { name: 'confident', threshold: 0.99, alg: 'origin' },
      {},
      { random: () => random },
    );
    assert.deepEqual(order[0], [1]);
    // above τ it still commits by confidence
    const { order: above } = await run(FOUR, { name: 'confident', threshold: 0.9, alg: 'origin' });
    assert.deepEqual(above[0], [2]);
  });

  it("alg 'entropy' ranks by Σ p·log p ≤ 0, which no positive τ passes: the schedule alone decides", async () => {
    const { order } = await run(FOUR, { name: 'confident', threshold: 0.1, alg: 'entropy' });
    assert.equal(order[0]?.length, 1);
    const { order: neg } = await run(FOUR, { name: 'confident', threshold: 0.1, confidence: 'neg_entropy' });
    assert.ok((neg[0]?.length ?? 0) > 1, 'exp(−H) in (0, 1] does pass');
  });

  it('measures confidence as the top-1/top-2 margin when asked', async () => {
    // p = 0.8 → margin 0.8 − 0.2/15 ≈ 0.787; p = 0.6 → ≈ 0.573
    const { order } = await run(FOUR, { name: 'confident', threshold: 0.7, confidence: 'margin' });
    assert.deepEqual(order[0], [0, 2]);
  });

  it('reads confidence from the original softmax at temperature > 0 (use_original_confidence)', async () => {
    // at temperature 0.5 the sampled distribution is p² renormalised: 0.8 → 0.996, 0.6 → 0.971, 0.3 → 0.73
    // (a constant uniform gives every token the same Gumbel noise: the top token is drawn)
    const constant = () => ({ uniform: () => 0.5 });
    const sampling = { temperature: 0.5 };
    const original = await run(FOUR, { name: 'confident', threshold: 0.9 }, { sampling }, { random: constant });
    assert.deepEqual(original.order[0], [2]);
    const sampled = await run(
      FOUR,
      { name: 'confident', threshold: 0.9, use_original_confidence: false },
      { sampling },
      { random: constant },
    );
    assert.deepEqual(sampled.order[0], [0, 2, 3]);
  });
});

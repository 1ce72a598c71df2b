/**
 * Specification of Dream's decoding (`dream`: DreamGenerationMixin.diffusion_generate) and of
 * Fast-dLLM's block-wise Dream (`commit_block_start`), through the engine against a scripted
 * model. Random rules (`alg: 'origin'`, `alg_temp`) run on injected uniforms.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INFO, peaked } from '../test-support/scripted-model.js';
import { runScripted as run, scriptedRandom } from '../test-support/scripted-run.js';

const FOUR: [number, number][] = [
  [5, 0.8],
  [6, 0.3],
  [7, 0.95],
  [8, 0.6],
];

/** Logits of an explicit distribution over the 16-token vocabulary (absent ids ≈ 0). */
function probs(entries: Record<number, number>): Float32Array {
  return Float32Array.from({ length: 16 }, (_, i) => Math.log(entries[i] ?? 1e-12));
}

describe('dream (eps-linspace schedule)', () => {
  it('commits int(n·(1 − s/t)) per step (0 allowed), all that is left at the last step', async () => {
    // linspace(1, 1e-3, 5) = 1, 0.75025, 0.5005, 0.25075, 0.001:
    // 4·0.24975 → 0; 4·(1 − 0.5005/0.75025) → 1; 3·(1 − 0.25075/0.5005) → 1; the last step: 2
    const { order, result } = await run(FOUR, { name: 'dream', steps: 4, alg: 'maskgit_plus' });
    assert.deepEqual(order, [[], [2], [0], [1, 3]]);
    assert.equal(result.forwardPasses, 4);
  });

  it('ranks by the alg: maskgit_plus the top probability, topk_margin top-1 − top-2, entropy Σ p·log p', async () => {
    // A: 0.6 / 0.4 (low entropy, small margin); B: 0.7 and the rest spread (high entropy, large margin)
    const answer = [probs({ 5: 0.6, 6: 0.4 }), peaked(7, 0.7), peaked(8, 0.2), peaked(9, 0.2)];
    const second = async (alg: string) => (await run(answer, { name: 'dream', steps: 4, alg })).order[1];
    assert.deepEqual(await second('maskgit_plus'), [1]);
    assert.deepEqual(await second('topk_margin'), [1]);
    assert.deepEqual(await second('entropy'), [0]);
  });

  it("alg_temp draws the positions from softmax(confidence / alg_temp) (Dream's torch.multinomial)", async () => {
    // step 1 commits one of four: weights ∝ exp(p / 0.1) in canvas order; a uniform near 0 picks position 0
    const random = scriptedRandom([0.0001]);
    const { order } = await run(
      FOUR,
      { name: 'dream', steps: 4, alg: 'maskgit_plus', alg_temp: 0.1 },
      {},
      { random: () => random },
    );
    assert.deepEqual(order[1], [0]);
    // the same step without alg_temp takes the most confident (position 2)
    assert.deepEqual((await run(FOUR, { name: 'dream', steps: 4, alg: 'maskgit_plus' })).order[1], [2]);
  });

  it("alg 'origin' commits each mask with probability 1 − s/t, every one at the last step", async () => {
    // step 0: p = 0.24975, draws 0.1 0.5 0.2 0.9 → 0 and 2; step 1: p = 0.3329, draws 0.3 0.4 → 1;
    // step 2: p = 0.499, draw 0.6 → none; step 3: p = 1 → 3
    const random = scriptedRandom([0.1, 0.5, 0.2, 0.9, 0.3, 0.4, 0.6, 0.99]);
    const { order } = await run(FOUR, { name: 'dream', steps: 4, alg: 'origin' }, {}, { random: () => random });
    assert.deepEqual(order, [[0, 2], [1], [], [3]]);
  });

  it("defaults to alg 'entropy' and one step per answer position", async () => {
    const { result } = await run(FOUR, { name: 'dream' });
    assert.equal(result.forwardPasses, 4);
  });

  it('runs the schedule per block with block_length', async () => {
    const { steps } = await run(FOUR, { name: 'dream', steps: 4, block_length: 2, alg: 'maskgit_plus' });
    // per block: linspace(1, eps, 3): 2·0.4995 → 0, then both
    assert.deepEqual(
      steps.map((s) => [s.block, s.committed.map((c) => c.position)]),
      [
        [0, []],
        [0, [0, 1]],
        [1, []],
        [1, [2, 3]],
      ],
    );
  });

  it('refuses alg together with confidence', async () => {
    await assert.rejects(run(FOUR, { name: 'dream', alg: 'entropy', confidence: 'margin' }), /either alg/);
  });
});

describe("commit_block_start (Fast-dLLM's block-wise Dream)", () => {
  const shifted = { ...DEFAULT_INFO, shiftedLogits: true };
  // Position 0 is the least confident: a confidence rule alone would commit it last.
  const answer: [number, number][] = [
    [5, 0.2],
    [6, 0.95],
    [7, 0.3],
    [8, 0.97],
  ];

  it("each block's first pass commits only the block's first position, whatever its confidence", async () => {
    const { order } = await run(
      answer,
      { name: 'threshold', threshold: 0.9, block_length: 2, commit_block_start: true },
      { cache: 'prefix' },
      { info: shifted },
    );
    assert.deepEqual(order, [[0], [1], [2], [3]]);
  });

  it('the cache then ends at the block start (not one before it); later passes start at the block', async () => {
    const { model } = await run(
      answer,
      { name: 'threshold', threshold: 0.9, block_length: 2, commit_block_start: true },
      { cache: 'prefix' },
      { info: shifted },
    );
    const rows = model.calls.map((c) => c[0]!);
    // prompt of 3: block 0 starts at 3, block 1 at 5
    assert.deepEqual(
      rows.map((r) => [r.pastLength, r.positionIds[0], r.segmentLength]),
      [
        [0, 0, 7],
        [3, 3, 4],
        [0, 0, 7],
        [5, 5, 2],
      ],
    );
  });

  it('without it the position before the block is recomputed (shifted logits) and every pass ranks by confidence', async () => {
    const { order, model } = await run(
      answer,
      { name: 'threshold', threshold: 0.9, block_length: 2 },
      { cache: 'prefix' },
      { info: shifted },
    );
    assert.deepEqual(order, [[1], [0], [3], [2]]);
    assert.deepEqual(
      model.calls.map((c) => c[0]!.pastLength),
      [0, 2, 0, 4],
    );
  });
});

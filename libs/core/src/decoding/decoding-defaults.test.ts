/**
 * Specification of a model family's decoding defaults: what a request gets for everything it
 * does not name, field by field (request, then the family's defaults, then the built-in ones).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type DecodingDefaults, withStrategyDefaults } from './decoding-defaults.js';
import { runScripted as run } from '../test-support/scripted-run.js';

const DREAM_LIKE: DecodingDefaults = {
  strategy: 'dream',
  parameters: { dream: { alg: 'entropy', eps: 1e-3 }, threshold: { threshold: 0.5, commit_block_start: true } },
  options: { eos_fill: false, use_original_confidence: false },
  sampling: { temperature: 0.2, top_p: 0.95 },
  max_tokens: 6,
};

describe('decoding defaults', () => {
  it("a request that names nothing gets the family's strategy, parameters and options", () => {
    assert.deepEqual(withStrategyDefaults(undefined, DREAM_LIKE), {
      eos_fill: false,
      use_original_confidence: false,
      alg: 'entropy',
      eps: 1e-3,
      name: 'dream',
    });
  });

  it("a request naming another strategy gets that strategy's family parameters and the common options", () => {
    assert.deepEqual(withStrategyDefaults({ name: 'threshold', threshold: 0.9 }, DREAM_LIKE), {
      eos_fill: false,
      use_original_confidence: false,
      threshold: 0.9,
      commit_block_start: true,
      name: 'threshold',
    });
  });

  it('parameters without a name go to the default strategy; the request wins field by field', () => {
    assert.deepEqual(withStrategyDefaults({ eos_fill: true, steps: 3 }, DREAM_LIKE), {
      eos_fill: true,
      use_original_confidence: false,
      alg: 'entropy',
      eps: 1e-3,
      steps: 3,
      name: 'dream',
    });
  });

  it('without defaults: the built-in strategy, nothing added', () => {
    assert.deepEqual(withStrategyDefaults(undefined, undefined), { name: 'confident' });
    assert.equal(withStrategyDefaults('dream', DREAM_LIKE), 'dream'); // not an object: for the schema to refuse
  });

  it('applies through the engine: strategy, answer length, sampling field by field', async () => {
    const answer: [number, number][] = Array.from({ length: 6 }, (_, i) => [5 + i, 0.5 + i * 0.05]);
    const { result } = await run(answer, undefined, { maxTokens: undefined }, { defaults: DREAM_LIKE });
    assert.equal(result.canvas.length, 6); // max_tokens from the defaults
    assert.equal(result.forwardPasses, 6); // dream: steps = the answer length, every step run
    const greedy = await run(answer, undefined, { sampling: { temperature: 0 } }, { defaults: DREAM_LIKE });
    assert.deepEqual(greedy.result.tokenIds, [5, 6, 7, 8, 9, 10]);
  });

  it("a family's block length longer than a short answer makes one block", async () => {
    const answer: [number, number][] = [
      [5, 0.9],
      [6, 0.8],
    ];
    const { result } = await run(
      answer,
      undefined,
      {},
      { defaults: { strategy: 'low_confidence', parameters: { low_confidence: { block_length: 32 } } } },
    );
    assert.equal(result.forwardPasses, 2);
  });

  it('bundles without defaults keep the built-in behaviour: confident τ 0.9 with EOS fill', async () => {
    const answer: [number, number][] = [
      [5, 0.95],
      [1, 0.95],
      [7, 0.2],
    ];
    const { result } = await run(answer, undefined);
    assert.deepEqual(result.canvas, [5, 1, 1]);
    assert.equal(result.forwardPasses, 1);
  });
});

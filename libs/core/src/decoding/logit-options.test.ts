/**
 * Specification of the options that change the logits or where an answer stops: LLaDA's
 * classifier-free guidance (`cfg_scale`), `logits_eos_inf` and `confidence_eos_eot_inf`,
 * LLaDA-V's `suppress_tokens` and its stop at `<|eot_id|>` (`stop_tokens`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodingEngine } from './decoding-engine.js';
import { DEFAULT_INFO, peaked, ScriptedModel } from '../test-support/scripted-model.js';
import { PROMPT, runScripted as run } from '../test-support/scripted-run.js';

const MASK = DEFAULT_INFO.maskTokenId;
const EOS = DEFAULT_INFO.eosTokenId;

function logits(entries: Record<number, number>): Float32Array {
  return Float32Array.from({ length: 16 }, (_, i) => entries[i] ?? -5);
}

describe('cfg_scale (classifier-free guidance)', () => {
  // With the prompt visible the model prefers 5 (2 vs 1.5 for 6); with it masked, 5 at 2 and 6 at 0.
  // Guided at s = 1: un + 2·(cond − un) → 5: 2, 6: 3 — token 6.
  const script = new ScriptedModel(({ sequence }) =>
    sequence.get(0) === MASK ? logits({ 5: 2, 6: 0 }) : logits({ 5: 2, 6: 1.5 }),
  );

  it('runs the canvas and its unconditional twin (prompt masked) in one batch and guides the logits', async () => {
    const engine = new DecodingEngine(script);
    const guided = await engine.generate({
      promptIds: PROMPT,
      maxTokens: 1,
      strategy: { name: 'low_confidence', cfg_scale: 1 },
    }).result;
    assert.deepEqual(guided.tokenIds, [6]);
    assert.equal(guided.forwardPasses, 1);
    assert.equal(script.calls[0]?.length, 2);
    const plain = await engine.generate({ promptIds: PROMPT, maxTokens: 1, strategy: { name: 'low_confidence' } })
      .result;
    assert.deepEqual(plain.tokenIds, [5]);
  });

  it('needs cache none', () => {
    const engine = new DecodingEngine(script);
    assert.throws(
      () =>
        engine.generate({
          promptIds: PROMPT,
          maxTokens: 2,
          cache: 'prefix',
          strategy: { name: 'low_confidence', cfg_scale: 1 },
        }),
      /cfg_scale needs cache "none"/,
    );
  });
});

describe('logits_eos_inf and confidence_eos_eot_inf (LLaDA)', () => {
  it('logits_eos_inf: EOS is never chosen', async () => {
    const { result } = await run([[EOS, 0.9]], { name: 'low_confidence', logits_eos_inf: true, eos_fill: false });
    assert.notEqual(result.canvas[0], EOS);
  });

  it("confidence_eos_eot_inf: the end-of-turn token's logit leaves the confidence softmax (upstream's effect)", async () => {
    const EOT = 9;
    const answer: [number, number][] = [
      [EOT, 0.9],
      [6, 0.5],
    ];
    const defaults = { strategy: 'low_confidence' as const, eot_token_id: EOT };
    const on = await run(answer, { confidence_eos_eot_inf: true }, {}, { defaults });
    assert.deepEqual(on.order, [[1], [0]]); // the EOT position's confidence is 0
    assert.equal(on.steps[1]?.committed[0]?.token, EOT); // the token itself is unchanged
    const off = await run(answer, {}, {}, { defaults });
    assert.deepEqual(off.order, [[0], [1]]);
  });
});

describe('suppress_tokens (LLaDA-V)', () => {
  it('never predicts a suppressed token at masked positions, and leaves it out of the softmax', async () => {
    const { result, steps } = await run([logits({ 7: 3, 8: 1, 9: 1 })], {
      name: 'low_confidence',
      suppress_tokens: [7],
      keep_mask_logit: true,
    });
    assert.equal(result.canvas[0], 8);
    const p = Math.exp(1) / (2 * Math.exp(1) + 13 * Math.exp(-5));
    assert.ok(Math.abs((steps[0]?.committed[0]?.confidence ?? 0) - p) < 1e-6);
  });
});

describe('stop_tokens (LLaDA-V stops at <|eot_id|>)', () => {
  const STOP = 9;
  const answer: [number, number][] = [
    [5, 0.5],
    [STOP, 0.99],
    [7, 0.4],
    [8, 0.3],
  ];

  it('after a committed stop token the later masks are no longer decoded and the answer ends before it', async () => {
    const { result, model } = await run(answer, { name: 'low_confidence', stop_tokens: [STOP], eos_fill: false });
    assert.equal(result.forwardPasses, 2);
    assert.deepEqual(result.tokenIds, [5]);
    assert.deepEqual(result.canvas, [5, STOP, MASK, MASK]); // frozen masks keep the mask id
    // the second pass asks logits only for position 0, the masks after the stop stay in its input
    assert.deepEqual(model.calls[1]?.[0]?.logitsIndices, [3]);
    assert.equal(result.finishReason, 'stop');
  });

  it('without stop tokens every position is decoded', async () => {
    const { result } = await run(answer, { name: 'low_confidence', eos_fill: false });
    assert.equal(result.forwardPasses, 4);
    assert.deepEqual(result.tokenIds, [5, STOP, 7, 8]);
  });

  it('EOS fill is a different rule: the rest becomes EOS in the input', async () => {
    const eos: [number, number][] = [
      [5, 0.5],
      [EOS, 0.99],
      [7, 0.4],
    ];
    const { result } = await run(eos, { name: 'low_confidence', eos_fill: true });
    assert.deepEqual(result.canvas, [5, EOS, EOS]);
    assert.equal(result.forwardPasses, 2);
  });

  it('refuses token ids outside the vocabulary', async () => {
    await assert.rejects(run(answer, { name: 'low_confidence', stop_tokens: [99] }), /outside the vocabulary/);
  });
});

describe('shifted logits', () => {
  it('a position is predicted by the logits one before it', async () => {
    const model = new ScriptedModel(({ target }) => peaked(target % 14, 0.9), { ...DEFAULT_INFO, shiftedLogits: true });
    const result = await new DecodingEngine(model).generate({
      promptIds: PROMPT,
      maxTokens: 2,
      strategy: { name: 'low_confidence' },
    }).result;
    assert.deepEqual(result.tokenIds, [3, 4]);
    assert.deepEqual(model.calls[0]?.[0]?.logitsIndices, [2, 3]);
  });
});

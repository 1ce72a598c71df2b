/**
 * Log-probabilities, when a request asks for them: each committed token carries the
 * log-softmax of the logits at its position in the pass that committed it (mask and
 * constraint-excluded tokens ruled out, temperature not applied), with the most likely
 * alternatives of that same distribution; positions filled by end-of-text prediction carry none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError } from '../errors.js';
import { DEFAULT_INFO, ScriptedModel, type Script } from '../test-support/scripted-model.js';
import { topLogprobs } from './confidence.js';
import { ConstraintVocabulary, compileConstraint } from './constraints/token-constraint.js';
import { DecodingEngine, decode } from './decoding-engine.js';
import type { StepEvent } from './events.js';

const VOCAB = DEFAULT_INFO.vocabSize;
const MASK = DEFAULT_INFO.maskTokenId;
const EOS = DEFAULT_INFO.eosTokenId;

/** Logits that change with the pass: position p prefers token 4 + p, more so in later passes. */
const script: Script = ({ target, call }) => {
  const logits = new Float32Array(VOCAB);
  for (let id = 0; id < VOCAB; id++) logits[id] = Math.cos(id * 1.7 + target);
  logits[4 + (target % 8)] = 2 + call;
  logits[MASK] = 9; // the mask itself is never a candidate
  return logits;
};

/** The reference: log-softmax over the row without the mask token. */
function reference(logits: Float32Array, exclude: number[]): number[] {
  const kept = Array.from(logits, (v, i) => (exclude.includes(i) ? -Infinity : v));
  const top = Math.max(...kept);
  const logTotal = Math.log(kept.reduce((s, v) => s + Math.exp(v - top), 0));
  return kept.map((v) => v - top - logTotal);
}

describe('log-probabilities of committed tokens', () => {
  it('are the log-softmax at the step each token was committed, with the top alternatives', async () => {
    const model = new ScriptedModel(script);
    const steps: StepEvent[] = [];
    const run = new DecodingEngine(model).generate({
      promptIds: [5, 6],
      maxTokens: 4,
      strategy: { name: 'low_confidence', steps: 4 },
      logprobs: 3,
    });
    for await (const step of run) steps.push(step);
    const result = await run.result;
    assert.equal(steps.length, 4);
    steps.forEach((step, call) => {
      for (const c of step.committed) {
        const want = reference(script({ sequence: new Map(), target: 2 + c.position, call, row: 0 }), [MASK]);
        assert.ok(c.logprob, 'every decoded token carries its log-probability');
        assert.ok(Math.abs(c.logprob.logprob - (want[c.token] as number)) < 1e-5);
        const order = want
          .map((lp, token) => ({ token, lp }))
          .sort((a, b) => b.lp - a.lp || a.token - b.token)
          .slice(0, 3);
        assert.deepEqual(
          c.logprob.top.map((t) => t.token),
          order.map((o) => o.token),
        );
        assert.equal(c.logprob.top[0]?.token, c.token, 'greedy: the committed token is the most likely');
        assert.deepEqual(result.logprobs?.[c.position], c.logprob, 'the result keeps what the step reported');
      }
    });
  });

  it('are absent unless asked for, and positions filled by end-of-text prediction have none', async () => {
    const eosFirst: Script = ({ target }) => {
      const logits = new Float32Array(VOCAB).fill(-2);
      logits[target === 3 ? EOS : 7] = 5;
      return logits;
    };
    const plain = await decode(new ScriptedModel(eosFirst), { promptIds: [5, 6], maxTokens: 4 });
    assert.equal(plain.logprobs, undefined);
    const asked = await decode(new ScriptedModel(eosFirst), {
      promptIds: [5, 6],
      maxTokens: 4,
      strategy: { name: 'low_confidence', steps: 4 },
      logprobs: 0,
    });
    assert.deepEqual(asked.tokenIds, [7]);
    assert.ok(asked.logprobs?.[0] && asked.logprobs[1], 'the token and the end-of-text the model chose');
    assert.deepEqual(asked.logprobs?.[0]?.top, [], 'logprobs 0: no alternatives');
    assert.deepEqual(asked.logprobs?.slice(2), [null, null], 'filled after the end-of-text: not decoded');
  });

  it('under a constraint, are taken over the tokens the constraint allows', async () => {
    const surfaces = Array.from({ length: VOCAB }, (_, id) =>
      id >= 2 && id <= 14 ? new TextEncoder().encode(String.fromCharCode(95 + id)) : null,
    );
    const vocabulary = ConstraintVocabulary.fromSurfaces(
      { rest: surfaces, first: surfaces, firstDiffers: false },
      VOCAB,
    );
    // Only 'a' (id 2) or 'b' (id 3) may be written.
    const constraint = compileConstraint({ type: 'choice', choices: ['a', 'b'] }, vocabulary);
    const model = new ScriptedModel(script);
    const result = await decode(model, { promptIds: [5, 6], maxTokens: 1, constraint, logprobs: 5 });
    const lp = result.logprobs?.[0];
    assert.ok(lp);
    const allowed = reference(script({ sequence: new Map(), target: 2, call: 0, row: 0 }), [
      ...Array.from({ length: VOCAB }, (_, i) => i).filter((i) => i !== 2 && i !== 3),
    ]);
    assert.ok(Math.abs(lp.logprob - (allowed[result.tokenIds[0] as number] as number)) < 1e-5);
    assert.deepEqual(lp.top.map((t) => t.token).sort(), [2, 3], 'alternatives the constraint ruled out are not listed');
  });

  it('refuses a count outside 0..20', () => {
    for (const logprobs of [-1, 21, 1.5]) {
      assert.throws(
        () => new DecodingEngine(new ScriptedModel(script)).generate({ promptIds: [5], maxTokens: 2, logprobs }),
        (e: unknown) => isUnmaskError(e, 'invalid_parameter') && e.param === 'logprobs',
      );
    }
  });

  it('topLogprobs lists the most likely first, leaving out tokens at −∞', () => {
    const logits = Float32Array.from([0, 2, -Infinity, 2, 1]);
    const top = topLogprobs(logits, 0, 5, 10);
    assert.deepEqual(
      top.map((t) => t.token),
      [1, 3, 4, 0],
    );
    assert.ok(Math.abs(top.reduce((s, t) => s + Math.exp(t.logprob), 0) - 1) < 1e-6);
  });
});

/**
 * The engine with a constraint: every strategy, with parallel commits, early commit and
 * sampling, ends in an answer of the constraint's language even when the model wants
 * something else; forced tokens commit at full confidence; an impossible constraint is refused
 * before any pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError } from '../errors.js';
import { DEFAULT_INFO, ScriptedModel, type Script } from '../test-support/scripted-model.js';
import { ConstraintVocabulary, compileConstraint } from './constraints/token-constraint.js';
import { decode } from './decoding-engine.js';

const EOS = DEFAULT_INFO.eosTokenId; // 1
const PAD = DEFAULT_INFO.padTokenId; // 0
// Ids 2..14 are words; 0, 1 and 15 are special.
const WORDS = ['{', '}', '"a"', ':', ' ', '1', '2', '"', 'a', ',', '{"a":', 'x', 'yes'];
const encoder = new TextEncoder();
const surfaces = Array.from({ length: 16 }, (_, id) =>
  id >= 2 && id <= 14 ? encoder.encode(WORDS[id - 2] as string) : null,
);
const vocabulary = ConstraintVocabulary.fromSurfaces({ rest: surfaces, first: surfaces, firstDiffers: false }, 16);
const text = (ids: number[]) => ids.map((id) => WORDS[id - 2]).join('');

/** A model that prefers `x` everywhere, then a position-dependent mix, seeded by the call. */
function stubborn(seed: number): Script {
  return ({ target, call }) => {
    const logits = new Float32Array(16);
    for (let id = 0; id < 16; id++) logits[id] = Math.sin(seed * 7 + target * 13 + id * 3 + call) * 2;
    logits[13] = 6; // 'x'
    logits[EOS] = target % 3 === 0 ? 5 : -1;
    logits[PAD] = 4;
    return logits;
  };
}

const STRATEGIES = [
  { name: 'confident', threshold: 0.9 },
  { name: 'low_confidence', steps: 2 },
  { name: 'threshold', threshold: 0.3 },
  { name: 'factor', factor: 3 },
  { name: 'ascending' },
  { name: 'prophet' },
  { name: 'low_confidence', block_length: 4, steps: 4 },
];

describe('constrained decoding in the engine', () => {
  const schema = {
    type: 'object',
    properties: { a: { type: 'integer' } },
    required: ['a'],
    additionalProperties: false,
  };
  const constraint = compileConstraint({ type: 'json_schema', schema }, vocabulary);

  it('ends in valid JSON for every strategy, seed and sampling temperature', async () => {
    for (const strategy of STRATEGIES) {
      for (let seed = 0; seed < 6; seed++) {
        const result = await decode(new ScriptedModel(stubborn(seed)), {
          promptIds: [3, 4],
          maxTokens: 8,
          strategy,
          constraint,
          sampling: seed % 2 === 0 ? { temperature: 0 } : { temperature: 1.5, seed },
        });
        const answer = text(result.tokenIds);
        assert.equal(JSON.parse(answer).a % 1, 0, `${JSON.stringify(strategy)} seed ${seed}: ${answer}`);
        assert.ok(!result.tokenIds.includes(13), 'x never committed');
      }
    }
  });

  it('commits a forced token at full confidence', async () => {
    const choice = compileConstraint({ type: 'choice', choices: ['yes'] }, vocabulary);
    const steps = [];
    const { DecodingEngine } = await import('./decoding-engine.js');
    const run = new DecodingEngine(new ScriptedModel(stubborn(1))).generate({
      promptIds: [3],
      maxTokens: 3,
      constraint: choice,
    });
    for await (const step of run) steps.push(step);
    const result = await run.result;
    assert.equal(text(result.tokenIds), 'yes');
    assert.equal(steps[0]?.committed.find((c) => c.position === 0)?.confidence, 1);
    assert.equal(result.forwardPasses, 1, 'every position is forced: one pass');
  });

  it('refuses an impossible constraint before any forward pass, naming it', async () => {
    const model = new ScriptedModel(stubborn(0));
    await assert.rejects(
      decode(model, { promptIds: [3], maxTokens: 2, constraint }),
      (e) => isUnmaskError(e, 'constraint_unsatisfiable') && /at most 2 tokens/.test(e.message),
    );
    assert.equal(model.calls.length, 0);
  });

  it('needs a plain canvas and a vocabulary of the model’s size', async () => {
    const model = new ScriptedModel(stubborn(0));
    const other = compileConstraint(
      { type: 'choice', choices: ['yes'] },
      ConstraintVocabulary.fromSurfaces({ rest: surfaces, first: surfaces, firstDiffers: false }, 17),
    );
    await assert.rejects(
      decode(model, { promptIds: [3], maxTokens: 2, constraint: other }),
      (e) => isUnmaskError(e, 'invalid_parameter') && /vocabulary of 17/.test(e.message),
    );
    await assert.rejects(
      decode(model, {
        promptIds: [3],
        template: {
          parts: [
            { type: 'text', ids: [2] },
            { type: 'slot', length: 3 },
          ],
        },
        constraint,
      }),
      (e) => isUnmaskError(e, 'invalid_parameter') && /plain canvas/.test(e.message),
    );
  });
});

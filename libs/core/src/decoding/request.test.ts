/** Bad input gets a typed error naming the parameter — never a crash or a hang. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodingEngine } from './decoding-engine.js';
import { DEFAULT_INFO, ScriptedModel, peaked } from '../test-support/scripted-model.js';
import { isUnmaskError, type UnmaskErrorCode } from '../errors.js';

const engine = new DecodingEngine(new ScriptedModel(() => peaked(3, 0.9)));

function rejects(request: object, code: UnmaskErrorCode, pattern: RegExp) {
  assert.throws(
    () => engine.generate({ promptIds: [2, 3], maxTokens: 4, ...request }),
    (e) => isUnmaskError(e, code) && pattern.test(e.message),
  );
}

describe('request validation', () => {
  it('refuses an unknown strategy, listing the known ones', () => {
    rejects(
      { strategy: { name: 'greedy' } },
      'invalid_parameter',
      /unknown strategy "greedy"; known: low_confidence, dream, confident/,
    );
  });
  it('refuses a block_length that does not divide the answer length', () => {
    rejects(
      { strategy: { name: 'low_confidence', block_length: 3 } },
      'invalid_parameter',
      /block_length \(3\) must divide the answer length \(4\)/,
    );
  });
  it('refuses steps < 1, and steps that are not a multiple of the number of blocks', () => {
    rejects(
      { strategy: { name: 'low_confidence', steps: 0 } },
      'invalid_parameter',
      /strategy\.steps: must be at least 1/,
    );
    rejects(
      { strategy: { name: 'low_confidence', steps: 3, block_length: 2 } },
      'invalid_parameter',
      /steps \(3\) must be a multiple of the number of blocks \(2\)/,
    );
  });
  it('refuses more steps than answer positions', () => {
    rejects(
      { strategy: { name: 'low_confidence', steps: 5 } },
      'invalid_parameter',
      /steps \(5\) exceeds the answer length \(4\)/,
    );
  });
  it('refuses τ outside (0, 1]', () => {
    rejects(
      { strategy: { name: 'confident', threshold: 0 } },
      'invalid_parameter',
      /strategy\.threshold: must be in \(0, 1\]/,
    );
    rejects(
      { strategy: { name: 'threshold', threshold: 1.5 } },
      'invalid_parameter',
      /strategy\.threshold: must be in \(0, 1\]/,
    );
  });
  it('refuses unknown strategy parameters', () => {
    rejects({ strategy: { name: 'confident', treshold: 0.5 } }, 'invalid_parameter', /treshold/);
  });
  it('refuses a prompt plus answer longer than the model allows', () => {
    rejects(
      { promptIds: Array(250).fill(2), maxTokens: 10 },
      'context_length_exceeded',
      /250 tokens.*10 positions.*256 positions/,
    );
  });
  it('refuses token ids outside the vocabulary and bad sizes', () => {
    rejects({ promptIds: [2, 99] }, 'invalid_parameter', /promptIds\[1\] = 99/);
    rejects({ maxTokens: 0 }, 'invalid_parameter', /maxTokens must be a positive integer/);
    rejects({ cache: 'disk' }, 'invalid_parameter', /cache must be one of none, prefix, dual/);
    rejects({ sampling: { temperature: -1 } }, 'invalid_parameter', /sampling\.temperature/);
  });
  it('reads input-only ids of a model that reads more ids than it writes, and still refuses ids past those', async () => {
    // vocabSize 16 logits; ids 16..23 are read (whole words through word vectors) but never written.
    const wide = new DecodingEngine(new ScriptedModel(() => peaked(3, 0.9), { ...DEFAULT_INFO, inputVocabSize: 24 }));
    const { result } = wide.generate({ promptIds: [2, 20, 23], maxTokens: 2 });
    assert.deepEqual((await result).tokenIds, [3, 3]);
    assert.throws(
      () => wide.generate({ promptIds: [2, 24], maxTokens: 2 }),
      (e) => isUnmaskError(e, 'invalid_parameter') && /promptIds\[1\] = 24 .*vocabulary size 24/.test(e.message),
    );
  });
  it('refuses spliced embeddings outside the prompt or of the wrong size', () => {
    rejects(
      { embeddings: [{ offset: 1, count: 2, data: new Float32Array(8) }] },
      'invalid_parameter',
      /outside the prompt/,
    );
    rejects({ embeddings: [{ offset: 0, count: 1, data: new Float32Array(3) }] }, 'invalid_parameter', /hidden size 4/);
  });
  it('refuses an empty prompt for a model with shifted logits', () => {
    const shifted = new DecodingEngine(
      new ScriptedModel(() => peaked(3, 0.9), { ...DEFAULT_INFO, shiftedLogits: true }),
    );
    assert.throws(() => shifted.generate({ promptIds: [], maxTokens: 2 }), /at least one token/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerPrefix, type PrefixTokens } from './answer-prefix.js';
import { cutAtStop, holdBack } from './stop-sequences.js';

// A toy vocabulary: 0 pad, 1 eos, 2 mask, then words.
const WORDS: Record<number, string> = { 3: 'the', 4: ' cat', 5: ' sat', 6: ' on', 7: ' mat', 8: '\uFFFD' };
const tokens = (structured = false): PrefixTokens => ({
  maskId: 2,
  eosId: 1,
  endIds: new Set([0, 1]),
  structured,
  decode: (ids) => ids.map((id) => WORDS[id] ?? '?').join(''),
});
const M = 2;

describe('AnswerPrefix: the committed prefix, sent left to right', () => {
  it('sends a token only once every position before it is committed', () => {
    const prefix = new AnswerPrefix(tokens(), []);
    assert.equal(prefix.advance([M, 4, M, M]), '', 'position 0 is still masked');
    assert.equal(prefix.advance([3, 4, M, 6]), 'the cat');
    assert.equal(prefix.advance([3, 4, M, 6]), '', 'nothing new');
    assert.equal(prefix.advance([3, 4, 5, 6]), ' sat on');
    assert.equal(prefix.text, 'the cat sat on');
  });

  it('ends a plain answer at its first end-of-text', () => {
    const prefix = new AnswerPrefix(tokens(), []);
    assert.equal(prefix.advance([3, 1, M, 7]), 'the');
    assert.deepEqual(prefix.prefixIds([3, 1, M, 7]), { ids: [3], complete: true });
  });

  it('skips end-of-text inside a structured answer (it only closes its slot)', () => {
    const prefix = new AnswerPrefix(tokens(true), []);
    assert.equal(prefix.advance([3, 1, 1, 4, M]), 'the cat');
    assert.equal(prefix.advance([3, 1, 1, 4, 7]), ' mat');
  });

  it('holds back an incomplete character', () => {
    const prefix = new AnswerPrefix(tokens(), []);
    assert.equal(prefix.advance([3, 8, M]), 'the');
  });

  it('holds back a tail that may begin a stop sequence, and never sends past one', () => {
    const prefix = new AnswerPrefix(tokens(), [' sat on']);
    assert.equal(prefix.advance([3, 4, 5, M, M]), 'the cat', "' sat' could be the start of ' sat on'");
    assert.equal(prefix.advance([3, 4, 5, 6, M]), '');
    assert.ok(prefix.stopped);
    assert.equal(prefix.advance([3, 4, 5, 6, 7]), '');
    assert.equal(prefix.finish('the cat sat on mat'), '');
  });

  it('finishes with the rest of the final text', () => {
    const prefix = new AnswerPrefix(tokens(), []);
    prefix.advance([3, M]);
    assert.equal(prefix.finish('the cat'), ' cat');
  });
});

describe('stop sequences', () => {
  it('cut the text before the earliest occurrence of any of them', () => {
    assert.deepEqual(cutAtStop('a b c d', ['c', ' b']), { text: 'a', stopped: true });
    assert.deepEqual(cutAtStop('a b c d', ['x']), { text: 'a b c d', stopped: false });
  });

  it('hold back the longest tail that is a proper prefix of one', () => {
    assert.equal(holdBack('hello wor', ['world']), 3);
    assert.equal(holdBack('hello', ['xyz']), 0);
    assert.equal(holdBack('ab', ['abc', 'b']), 2);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerLayout, plainTemplate, type ResponseTemplate } from '@unmask/core';
import { AnswerText, type AnswerTokens } from './answer-text.js';
import { cutAtStop, holdBack } from './stop-sequences.js';

// A toy vocabulary: 0 pad, 1 eos, 2 mask, then words.
const WORDS: Record<number, string> = { 3: 'the', 4: ' cat', 5: ' sat', 6: ' on', 7: ' mat', 8: '\uFFFD' };
const TOKENS: AnswerTokens = {
  maskTokenId: 2,
  eosTokenId: 1,
  padTokenId: 0,
  decode: (ids) => ids.map((id) => WORDS[id] ?? '?').join(''),
};
const M = 2;
const plain = (length: number, stop: string[] = []) =>
  new AnswerText(AnswerLayout.of(plainTemplate(length)), TOKENS, stop);
const text = (ids: number[]) => ({ type: 'text' as const, ids });
const slot = (length: number) => ({ type: 'slot' as const, length });

describe('AnswerText: the committed prefix, sent left to right', () => {
  it('sends a token only once every position before it is committed', () => {
    const answer = plain(4);
    assert.equal(answer.advance([M, 4, M, M]), '', 'position 0 is still masked');
    assert.equal(answer.advance([3, 4, M, 6]), 'the cat');
    assert.equal(answer.advance([3, 4, M, 6]), '', 'nothing new');
    assert.equal(answer.advance([3, 4, 5, 6]), ' sat on');
    assert.equal(answer.text, 'the cat sat on');
  });

  it('ends a plain answer at its first end-of-text, whatever follows it', () => {
    const answer = plain(4);
    assert.equal(answer.advance([3, 1, M, 7]), 'the');
    assert.equal(answer.advance([3, 1, 5, 7]), '');
  });

  it('ends each slot of a structured answer at its end-of-text; the fixed text goes on', () => {
    const template: ResponseTemplate = { parts: [text([3]), slot(2), text([4]), slot(1)] };
    const answer = new AnswerText(AnswerLayout.of(template), TOKENS, []);
    assert.equal(answer.advance([3, 1, 1, 4, M]), 'the cat');
    assert.equal(answer.advance([3, 1, 1, 4, 7]), ' mat');
  });

  it('streams what the final answer holds: a token after its slot’s end-of-text is dropped from both', () => {
    const template: ResponseTemplate = { parts: [text([3]), slot(3), text([7])] };
    const layout = AnswerLayout.of(template);
    const answer = new AnswerText(layout, TOKENS, []);
    const canvas = [3, 4, 1, 5, 7];
    assert.equal(answer.advance(canvas), 'the cat mat');
    assert.equal(answer.final(layout.read(canvas, TOKENS).ids, 'stop').text, 'the cat mat');
  });

  it('holds back an incomplete character', () => {
    assert.equal(plain(3).advance([3, 8, M]), 'the');
  });

  it('holds back a tail that may begin a stop sequence, and never sends past one', () => {
    const answer = plain(5, [' sat on']);
    assert.equal(answer.advance([3, 4, 5, M, M]), 'the cat', "' sat' could be the start of ' sat on'");
    assert.equal(answer.advance([3, 4, 5, 6, M]), '');
    assert.ok(answer.stopped);
    assert.equal(answer.advance([3, 4, 5, 6, 7]), '');
    assert.deepEqual(answer.final([3, 4, 5, 6, 7], 'length'), { text: 'the cat', finishReason: 'stop' });
  });

  it('gives the final text uncut and the engine’s finish reason when no stop sequence occurs', () => {
    assert.deepEqual(plain(2, ['dog']).final([3, 4], 'length'), { text: 'the cat', finishReason: 'length' });
  });

  it('gives each cell its text: null for a mask, empty for end-of-text and padding', () => {
    const answer = plain(4);
    assert.deepEqual(
      [M, 1, 0, 4].map((id) => answer.cell(id)),
      [null, '', '', ' cat'],
    );
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

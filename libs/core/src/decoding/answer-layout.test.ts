import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerLayout } from './answer-layout.js';
import { plainTemplate } from './template.js';

const ENDS = { maskTokenId: 2, eosTokenId: 1, padTokenId: 0 };
const M = 2;

describe('AnswerLayout: where an answer ends', () => {
  it('reads a plain answer up to its first end-of-text, dropping padding', () => {
    const layout = AnswerLayout.of(plainTemplate(6));
    assert.deepEqual(layout.read([5, 0, 6, 1, 7, 8], ENDS), { ids: [5, 6], complete: true });
    assert.equal(layout.finishReason([5, 0, 6, 1, 7, 8], 1), 'stop');
    assert.equal(layout.finishReason([5, 6, 7, 8, 9, 9], 1), 'length', 'no end-of-text: the canvas ran out');
  });

  it('gives the committed prefix of a canvas still being decoded', () => {
    const layout = AnswerLayout.of(plainTemplate(4));
    assert.deepEqual(layout.read([5, M, 6, 7], ENDS), { ids: [5], complete: false });
    assert.deepEqual(layout.read([5, 1, M, M], ENDS), { ids: [5], complete: true }, 'masks after the end do not count');
  });

  it('keeps fixed template tokens and ends each slot at its own end-of-text', () => {
    const layout = AnswerLayout.of({
      parts: [
        { type: 'text', ids: [10] },
        { type: 'slot', length: 3 },
        { type: 'text', ids: [11] },
        { type: 'slot', length: 2 },
      ],
    });
    assert.deepEqual(layout.regions, [
      [1, 4],
      [5, 7],
    ]);
    assert.deepEqual(layout.read([10, 5, 1, 6, 11, M, 7], ENDS), { ids: [10, 5, 11], complete: false });
    assert.deepEqual(layout.read([10, 5, 1, 6, 11, 7, 1], ENDS), { ids: [10, 5, 11, 7], complete: true });
    assert.equal(layout.finishReason([10, 5, 1, 6, 11, 7, 8], 1), 'length');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerLogprobs } from './answer-logprobs.js';

describe('answer log-probabilities', () => {
  const WORDS = ['the', ' cat', ' sat', 'é'];
  const tokens = {
    decode: (ids: readonly number[]) => ids.map((id) => WORDS[id]).join(''),
    bytesOf: (id: number) => new TextEncoder().encode(WORDS[id]),
  };
  const lp = (logprob: number) => ({ logprob, top: [{ token: 3, logprob: -5 }] });

  it('reports a token once the sent text covers it, in answer order, and the rest at the end', () => {
    const all = new AnswerLogprobs(tokens);
    all.record([
      { position: 1, logprob: lp(-0.5) },
      { position: 0, logprob: lp(-0.1) },
      { position: 2, logprob: lp(-0.2) },
    ]);
    assert.deepEqual(all.advance([0, 1, 2], 'the c'.length), [
      { token: 'the', bytes: [116, 104, 101], logprob: -0.1, top: [{ token: 'é', bytes: [195, 169], logprob: -5 }] },
    ]);
    const rest = all.finish([0, 1, 2], 'the cat s'.length);
    assert.deepEqual(
      rest.map((e) => [e.token, e.logprob]),
      [
        [' cat', -0.5],
        [' sat', -0.2],
      ],
    );
    const cut = new AnswerLogprobs(tokens);
    cut.record([0, 1, 2].map((position) => ({ position, logprob: lp(-1) })));
    assert.equal(cut.finish([0, 1, 2], 'the cat'.length).length, 2, 'a stop sequence cut the rest');
  });
});

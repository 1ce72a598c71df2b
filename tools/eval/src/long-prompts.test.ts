import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../worlds/src/rng.js';
import { MAX_RATE, MIN_RATE } from '../../worlds/src/home/speech.js';
import { sampleExample } from '../../worlds/src/tasks.js';
import { isLongSlot, LONG_TYPES, sampleLongExample, slowestSpeech, SPEC_MAX_SILENCE_S } from './long-prompts.js';

describe('the long-prompt examples', () => {
  it('spread the requested share evenly through a sample', () => {
    const slots = (n: number, share: number) =>
      Array.from({ length: n }, (_, i) => i).filter((i) => isLongSlot(i, share));
    assert.deepEqual(slots(9, 1 / 3), [2, 5, 8]);
    assert.deepEqual(slots(8, 0.25), [3, 7]);
    assert.deepEqual(slots(5, 0), []);
    assert.deepEqual(slots(3, 1), [0, 1, 2]);
  });

  it('are mostly spoken questions about an image, with spoken commands in between', () => {
    const rng = new Rng(7);
    const types = LONG_TYPES.map((_, k) => sampleLongExample(rng, k).type);
    assert.deepEqual(types, LONG_TYPES);
    assert.equal(types.filter((t) => t === 'spoken_question').length, 9);
    const sq = sampleLongExample(new Rng(1), 0);
    assert.ok(sq.scene !== null && sq.spoken !== null);
  });

  it('keep the longest spoken words of the draws from their stream', () => {
    const draws = new Rng(11);
    const longest = Math.max(
      ...Array.from({ length: 8 }, () => sampleExample(draws, 'spoken_question').spoken!.length),
    );
    assert.equal(sampleLongExample(new Rng(11), 0).spoken!.length, longest);
  });

  it('are spoken inside the spec: its slowest rate and its most silence, voice and format drawn as usual', () => {
    for (let seed = 0; seed < 5; seed++) {
      const v = slowestSpeech(new Rng(seed));
      assert.equal(v.voice.rate, MIN_RATE);
      assert.ok(MIN_RATE <= v.voice.rate && v.voice.rate <= MAX_RATE);
      assert.equal(v.silenceBefore, SPEC_MAX_SILENCE_S);
      assert.equal(v.silenceAfter, 0.5);
      assert.ok(!v.noise || v.noise.snrDb >= 15);
    }
  });
});

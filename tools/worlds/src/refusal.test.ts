/**
 * The near-miss sets (refusal.ts, NEAR_MISS_SETS): `base` is what the shipped model trained on;
 * `wide` adds more shapes, colours and attribute questions the world lacks, and draws more of them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WIDE_NEAR_MISSES, NEAR_MISS_SETS, otherColors, otherShapes, sampleAttributeQuestion } from './refusal.js';
import { REFUSAL_MIX, sampleRefusalPrompt } from './refusal-examples.js';
import { Rng } from './rng.js';
import { SHAPES } from './shapes/spec.js';
import { heldoutOnlyWords, knownWords, wordsIn } from './wordings/noise.js';
import { recognise } from './wordings/recognise.js';

const wideWords = [...WIDE_NEAR_MISSES.shapes, ...WIDE_NEAR_MISSES.colors];
const mentionsWide = (prompt: string) => {
  const words = new Set(prompt.toLowerCase().split(/[^a-z]+/));
  return wideWords.some((w) => words.has(w) || words.has(`${w}s`));
};

describe('near misses', () => {
  it('wide adds no word that only the held-out lists use, so the held-out set stays unread in training', () => {
    const held = heldoutOnlyWords();
    assert.deepEqual(
      [...wordsIn(WIDE_NEAR_MISSES, new Set())].filter((w) => held.has(w)),
      [],
    );
  });

  it('counts the wide words among the worlds’ words (no noise word is one)', () => {
    for (const w of wordsIn(WIDE_NEAR_MISSES, new Set())) assert.ok(knownWords().has(w), w);
  });

  it('widens only the trained lists', () => {
    assert.deepEqual(otherShapes('heldout', 'wide'), otherShapes('heldout', 'base'));
    assert.deepEqual(otherColors('heldout', 'wide'), otherColors('heldout', 'base'));
    assert.deepEqual(otherShapes('train', 'wide').slice(0, otherShapes('train').length), otherShapes('train'));
    assert.ok(otherColors('train', 'wide').length > otherColors('train').length);
  });

  it('draws each mix to a whole', () => {
    for (const set of NEAR_MISS_SETS) {
      const total = Object.values(REFUSAL_MIX[set]).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-9, set);
    }
  });

  it('wide draws more near misses, names the wider lists, and none of them reads as a task; base never names them', () => {
    const media = { image: true, audio: false };
    for (const set of NEAR_MISS_SETS) {
      const rng = new Rng(7);
      let near = 0;
      let wide = 0;
      const n = 4000;
      for (let i = 0; i < n; i++) {
        const { prompt, kind } = sampleRefusalPrompt(rng, 'train', media, set);
        if (kind !== 'near_miss') continue;
        near++;
        if (mentionsWide(prompt)) wide++;
        assert.equal(recognise(prompt), undefined, prompt);
      }
      // The image is there, so no wrong_medium draw falls back to everyday: near_miss at its mix share.
      assert.ok(Math.abs(near / n - REFUSAL_MIX[set].near_miss) < 0.025, `${set}: ${near / n}`);
      if (set === 'base') assert.equal(wide, 0);
      else assert.ok(wide > 0.1 * near, `${wide} of ${near}`);
    }
  });

  it('a wide relation question names two different shapes', () => {
    const rng = new Rng(3);
    let relations = 0;
    for (let i = 0; i < 2000; i++) {
      const q = sampleAttributeQuestion(rng, 'train', 'wide').toLowerCase();
      const named = SHAPES.filter((s) => new RegExp(`\\b${s}\\b`).test(q));
      assert.ok(!q.includes('{'), q);
      if (named.length === 2) relations++;
      assert.ok(named.length <= 2, q);
    }
    assert.ok(relations > 100, `${relations}`);
  });
});

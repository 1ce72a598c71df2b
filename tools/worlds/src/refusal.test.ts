/**
 * The near-miss sets (refusal.ts, NEAR_MISS_SETS): `base` is what the shipped model trained on;
 * `wide` adds more shapes, colours and attribute questions the world lacks, and draws more of them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  NEAR_MISS_SETS,
  otherColors,
  otherShapes,
  REFUSAL,
  sampleAttributeQuestion,
  WIDE_NEAR_MISSES,
} from './refusal.js';
import { addShuffledRefusal, REFUSAL_MIX, sampleRefusalPrompt, shuffleWords } from './refusal-examples.js';
import { sampleExample, TASK_TYPES, toTextExample } from './tasks.js';
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

describe('shuffled refusals made from in-scope examples (generate-text --shuffle-own)', () => {
  it('shuffles a prompt so that no two words stay neighbours and no task is recognised', () => {
    const rng = new Rng(4);
    for (let i = 0; i < 300; i++) {
      const prompt = toTextExample(sampleExample(rng, rng.pick(TASK_TYPES.filter((t) => t !== 'refusal')))).prompt;
      const out = shuffleWords(rng, prompt);
      if (out === undefined) continue;
      const words = prompt
        .toLowerCase()
        .replace(/[?!.,]/g, ' ')
        .split(/\s+/)
        .filter(Boolean);
      const outWords = out.replace(/\?$/, '').split(' ');
      assert.deepEqual([...outWords].sort(), [...words].sort(), `${prompt} -> ${out}`);
      const pairs = new Set(words.slice(1).map((w, k) => `${words[k]} ${w}`));
      assert.ok(!outWords.slice(1).some((w, k) => pairs.has(`${outWords[k]} ${w}`)), `${prompt} -> ${out}`);
      assert.equal(recognise(out), undefined, out);
    }
    assert.equal(shuffleWords(new Rng(1), 'describe it'), undefined);
  });

  it('turns a share p of in-scope examples into refusals of their own words shuffled, with their media; nothing else', () => {
    const rng = new Rng(8);
    const shuffleRng = new Rng(9);
    let inScope = 0;
    let made = 0;
    for (let i = 0; i < 3000; i++) {
      const e = toTextExample(sampleExample(rng, rng.pick(TASK_TYPES)));
      const out = addShuffledRefusal(shuffleRng, e, 0.2);
      if (e.type === 'refusal') {
        assert.deepEqual(out, e);
        continue;
      }
      inScope++;
      if (out === e) continue;
      made++;
      assert.equal(out.type, 'refusal');
      assert.equal(out.answer, REFUSAL);
      assert.equal(out.refusalKind, 'shuffled');
      assert.deepEqual([out.cells, out.spoken], [e.cells, e.spoken]);
      assert.notEqual(out.prompt, e.prompt);
    }
    assert.ok(made / inScope > 0.12 && made / inScope < 0.22, `${made} of ${inScope}`);
    const e = toTextExample(sampleExample(new Rng(2), 'where'));
    assert.equal(addShuffledRefusal(new Rng(1), e, 0), e);
  });
});

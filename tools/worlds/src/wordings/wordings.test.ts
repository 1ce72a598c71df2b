import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { COLORS, SHAPES } from '../shapes/spec.js';
import { allQuestions, questionText } from '../shapes/questions.js';
import { WORDINGS } from '../home/spec.js';
import { allUtterances, sampleUtterance } from '../home/utterance.js';
import { normaliseText } from '../normalise.js';
import { DECORATIONS, decorate, expandContractions } from './decorate.js';
import { HELDOUT_WORDINGS, HOME_FRAMES, MORE_WORDINGS } from './home.js';
import { questionSlots, TABLE_PROMPTS } from './prompts.js';
import { canonicalPrompt, recognise, recogniseWording, wordingsOf } from './recognise.js';
import { SHAPE_FRAMES } from './shapes.js';
import { expand, fill, pickAlternatives } from './template.js';

describe('the template language', () => {
  it('expands alternatives, fills slots, and names a missing slot', () => {
    assert.deepEqual(expand('what (color|colour) is the {shape}'), [
      'what color is the {shape}',
      'what colour is the {shape}',
    ]);
    assert.equal(
      fill('is there {a_color} {shape}', { a_color: 'an orange', shape: 'star' }),
      'is there an orange star',
    );
    assert.throws(() => fill('where is the {shape}', {}), /no value for \{shape\}/);
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) assert.ok(expand('(a|b) (c|d)').includes(pickAlternatives(rng, '(a|b) (c|d)')));
  });
});

describe('the wordings of the shapes questions', () => {
  it('recognise every expansion of every frame, in both splits, as its own question', () => {
    for (const q of allQuestions()) {
      const key = q.type === 'exists' && q.color === null ? 'exists_shape' : q.type;
      for (const split of ['train', 'heldout'] as const)
        for (const frame of SHAPE_FRAMES[key][split])
          for (const text of expand(frame.template)) {
            const prompt = fill(text, questionSlots(q));
            const r = recognise(prompt, [split]);
            assert.ok(r?.task === 'shapes', `${split} "${prompt}" not recognised`);
            const expected =
              q.type === 'count_all' ? { ...q, wording: r.question.type === 'count_all' ? r.question.wording : 0 } : q;
            assert.deepEqual(r.question, expected, `"${prompt}"`);
          }
    }
  });

  it('include the tables’ wording of every question among the trained ones', () => {
    for (const q of allQuestions()) {
      const r = recognise(questionText(q), ['train']);
      assert.ok(r?.task === 'shapes', questionText(q));
      assert.deepEqual(r.question, q);
    }
  });

  it('recognise decorated prompts: capitals, punctuation, contractions, openings, closings', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 300; i++) {
      const q = rng.pick(allQuestions());
      const key = q.type === 'exists' && q.color === null ? 'exists_shape' : q.type;
      const frame = rng.pick(SHAPE_FRAMES[key].train);
      const text = fill(pickAlternatives(rng, frame.template), questionSlots(q));
      const prompt = decorate(rng, text, frame.kind, { split: 'train', context: frame.context });
      assert.ok(recognise(prompt, ['train']), `"${prompt}"`);
    }
    assert.equal(canonicalPrompt("What's the COLOUR of the circle??"), 'what is the colour of the circle');
    assert.equal(expandContractions('where’s the star'), 'where is the star');
  });

  it('keep held-out openings, media references and closings apart from the trained ones', () => {
    for (const part of ['question', 'embedded', 'imperative', 'imageContext', 'closing'] as const)
      for (const d of DECORATIONS.heldout[part]) assert.ok(!DECORATIONS.train[part].includes(d), `${part}: ${d}`);
  });

  it('name no shape or colour the world lacks, and none twice', () => {
    for (const sets of Object.values(SHAPE_FRAMES))
      for (const frame of [...sets.train, ...sets.heldout]) {
        const words = normaliseText(frame.template.replace(/\{\w+\}/g, ' ')).split(' ');
        for (const w of words)
          assert.ok(
            !(SHAPES as readonly string[]).includes(w) && !(COLORS as readonly string[]).includes(w),
            frame.template,
          );
      }
  });
});

describe('the wordings of the home tasks', () => {
  it('recognise every prompt frame as its task', () => {
    for (const [task, sets] of Object.entries(HOME_FRAMES))
      for (const split of ['train', 'heldout'] as const)
        for (const frame of sets[split])
          for (const text of expand(frame.template)) {
            const prompt = frame.kind === 'embedded' ? `${DECORATIONS[split].embedded[0]} ${text}` : text;
            assert.equal(recognise(prompt, [split])?.task, task, `"${prompt}"`);
          }
  });

  it('give no spoken command two intents, and no held-out command a trained wording', () => {
    const trained = new Set([...allUtterances().map((u) => u.text)]);
    const rng = new Rng(9);
    const seen = new Map<string, string>();
    for (const wordings of [WORDINGS, MORE_WORDINGS, HELDOUT_WORDINGS])
      for (let i = 0; i < 3000; i++) {
        const u = sampleUtterance(rng, wordings);
        const intent = JSON.stringify(u.intent);
        assert.ok(!seen.has(u.text) || seen.get(u.text) === intent, `"${u.text}": ${seen.get(u.text)} and ${intent}`);
        seen.set(u.text, intent);
        if (wordings === MORE_WORDINGS) trained.add(u.text);
      }
    for (let i = 0; i < 3000; i++) {
      const u = sampleUtterance(rng, HELDOUT_WORDINGS);
      assert.ok(!trained.has(u.text), `held-out "${u.text}" is trained`);
    }
  });
});

describe('reading which frame words a prompt (recogniseWording)', () => {
  const frames = [
    ...Object.entries(SHAPE_FRAMES).map(([key, set]) => ({ key, set, shapes: true })),
    ...Object.entries(HOME_FRAMES).map(([key, set]) => ({ key, set, shapes: false })),
  ];
  const slotsFor = (rng: Rng, key: string) =>
    questionSlots(
      rng.pick(
        allQuestions().filter((q) => (q.type === 'exists' && q.color === null ? 'exists_shape' : q.type) === key),
      ),
    );

  it('finds the frame and its set of every decorated prompt, and says when the decorations are held out', () => {
    const rng = new Rng(11);
    for (const { key, set, shapes } of frames)
      for (const split of ['train', 'heldout'] as const)
        for (const frame of set[split])
          for (const decorations of ['train', 'heldout'] as const)
            for (let i = 0; i < 5; i++) {
              const slots = shapes ? slotsFor(rng, key) : {};
              const text = fill(pickAlternatives(rng, frame.template), slots);
              const force = frame.kind === 'embedded' ? undefined : rng.pick(['opening', 'closing'] as const);
              const prompt = decorate(rng, text, frame.kind, {
                split: decorations,
                context: frame.context && shapes,
                ...(decorations === 'heldout' && force ? { force } : {}),
              });
              const readings = wordingsOf(prompt);
              const got = readings[0];
              assert.deepEqual(got && { key: got.key, split: got.split }, { key, split }, `"${prompt}"`);
              // The frame it was drawn from is among its readings (two frames can word a prompt alike:
              // `is there a {color} {shape}` and `is there {a_color} {shape}`, or `can you, answer it`).
              assert.ok(
                readings.some((w) => w.frame === frame.template),
                `"${prompt}": ${got?.frame}`,
              );
              // An embedded clause's opening comes from either set; the others carry a forced held-out part.
              if (frame.kind !== 'embedded') assert.equal(got?.decorations, decorations, `"${prompt}"`);
            }
  });

  it('reads the tables’ prompts as trained frames, and an unrelated prompt as none', () => {
    for (const prompts of Object.values(TABLE_PROMPTS))
      for (const p of prompts) assert.equal(recogniseWording(p)?.split, 'train', p);
    assert.equal(recogniseWording('what is the capital of france'), undefined);
  });
});

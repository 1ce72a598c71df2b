import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { COLORS, SHAPES } from '../shapes/spec.js';
import { sampleExample, TASK_TYPES, toTextExample } from '../tasks.js';
import {
  addNoiseWords,
  addSpokenNoise,
  FILLER_WORDS,
  heldoutOnlyWords,
  knownWords,
  madeUpWord,
  realNoiseWords,
  SWAP_MIN_WORDS,
  swapWord,
} from './noise.js';

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/** Whether `sub`'s words come in `all`'s words in order (the rest being insertions). */
function isSubsequence(sub: readonly string[], all: readonly string[]): boolean {
  let i = 0;
  for (const w of all) if (i < sub.length && w === sub[i]) i++;
  return i === sub.length;
}

describe('noise words in training prompts', () => {
  it('knows the held-out lists’ own words, and no filler is one of them or a colour or shape', () => {
    const heldout = heldoutOnlyWords();
    for (const w of ['whereabouts', 'cheers', 'kindly', 'acknowledge', 'octagon', 'magenta'])
      assert.ok(heldout.has(w), w);
    for (const w of ['what', 'color', 'circle', 'please']) assert.ok(!heldout.has(w), w);
    for (const filler of FILLER_WORDS)
      for (const w of words(filler)) {
        assert.ok(!heldout.has(w), `filler "${filler}" is a held-out word`);
        assert.ok(![...SHAPES, ...COLORS].includes(w as never), filler);
      }
  });

  it('keeps the held-out lists’ own words out of training, as pinned here', () => {
    // A held-out figure measures these words too: a trained frame, wording or refusal that takes one
    // in fails here. A change to the held-out lists updates this list on purpose.
    const pinned =
      'accent acknowledge ahead alright anywhere appear area arrow assistant at be been behind beige ' +
      'being bicycle birds boiling book break caller chair chairs cheers chicago colored coloured come ' +
      'contains contents convert crescent curious detail done drawing drawn evening every expensive far ' +
      'favourite flip flower flowers form found freezing given going grid hold horse horses hue ' +
      'identify include interpret into jazz just kindly larger life little live look looks lot madrid ' +
      'magenta market mayor meaning mind movie noisy octagon old opposite order others package pasta ' +
      'pic pizza podcast point positioned president prettiest quickly quiet rain read recipe recommend ' +
      'requested rhymes river rome rundown shaped should shown shows silver sing sit sits smallest ' +
      'solve somewhere sort spot spotted stock sydney tall telling than them through tomorrow total ' +
      'trapezoid trying turquoise type used user version visible volcanoes walk wanted were whereabouts ' +
      'why wide will word written yo';
    assert.deepEqual([...heldoutOnlyWords()].sort(), pinned.split(' '));
  });

  it('makes up words that are in no list of the worlds', () => {
    const rng = new Rng(1);
    const known = knownWords();
    for (let i = 0; i < 3000; i++) {
      const w = madeUpWord(rng);
      assert.match(w, /^[a-z]{3,}$/);
      assert.ok(!known.has(w), w);
    }
  });

  it('inserts one to three items into a share p of prompts, keeping the prompt’s words in order and its end punctuation', () => {
    const rng = new Rng(2);
    let changed = 0;
    for (let i = 0; i < 400; i++) {
      const prompt = 'Hey, what color is the circle in the picture??';
      const out = addNoiseWords(rng, prompt, 0.5);
      if (out === prompt) continue;
      changed++;
      assert.ok(out.endsWith('picture??') || / [a-z]+\?\?$/.test(out), out);
      const added = words(out).length - words(prompt).length;
      assert.ok(added >= 1 && added <= 6, out);
      assert.ok(isSubsequence(words(prompt.replace(/\?\?$/, '')), words(out.replace(/\?\?$/, ''))), out);
    }
    assert.ok(changed > 150 && changed < 250, `changed ${changed} of 400`);
    assert.equal(addNoiseWords(rng, 'what color is the circle', 0), 'what color is the circle');
  });

  it('puts no noise right before a colour, a shape or the noun a colour qualifies', () => {
    const rng = new Rng(3);
    const guarded = new Set([...SHAPES, ...COLORS, 'shapes', 'objects', 'one', 'shape']);
    for (let i = 0; i < 300; i++) {
      const prompt = 'how many red shapes are there, is there a blue circle or a square';
      const out = words(addNoiseWords(rng, prompt, 1));
      const original = new Set(words(prompt));
      for (let k = 1; k < out.length; k++)
        if (guarded.has(out[k]!))
          assert.ok(original.has(out[k - 1]!), `${out.join(' ')}: "${out[k - 1]}" before ${out[k]}`);
    }
  });

  it('shouts with a prompt in capitals', () => {
    const rng = new Rng(4);
    const out = addNoiseWords(rng, 'WHERE IS THE STAR?', 1);
    assert.equal(out, out.toUpperCase());
    assert.ok(out.endsWith('?'));
  });

  it('leaves every noise word out of the held-out lists, over many training prompts', () => {
    const rng = new Rng(5);
    const noiseRng = new Rng(6);
    const heldout = heldoutOnlyWords();
    for (let i = 0; i < 600; i++) {
      const e = sampleExample(rng, TASK_TYPES[i % TASK_TYPES.length]!, { wording: 'train' });
      const before = new Set(words(e.prompt.toLowerCase().replace(/[^a-z' ]/g, ' ')));
      for (const w of words(
        addNoiseWords(noiseRng, e.prompt, 1)
          .toLowerCase()
          .replace(/[^a-z' ]/g, ' '),
      ))
        if (!before.has(w)) assert.ok(!heldout.has(w), w);
    }
  });

  it('with a real share, draws stray words from real English that no list of the worlds or held-out set holds', () => {
    const real = new Set(realNoiseWords());
    assert.ok(real.size > 10_000, `${real.size} real words`);
    const known = knownWords();
    const heldout = heldoutOnlyWords();
    for (const w of real) assert.ok(!known.has(w) && !heldout.has(w) && /^[a-z]{3,}$/.test(w), w);
    const prompt = 'what color is the circle';
    const rng = new Rng(8);
    let realSeen = 0;
    for (let i = 0; i < 300; i++) {
      for (const w of words(addNoiseWords(rng, prompt, 1, 1))) {
        if (words(prompt).includes(w) || FILLER_WORDS.some((f) => words(f).includes(w))) continue;
        assert.ok(real.has(w), `${w} is neither made up nor filler under a real share of 1`);
        realSeen++;
      }
    }
    assert.ok(realSeen > 100, `${realSeen} real words inserted`);
  });

  it('draws the same prompts with a real share of 0 as without one (the build data stay as they were)', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    for (let i = 0; i < 200; i++)
      assert.equal(
        addNoiseWords(a, 'how many shapes are there', 1, 0),
        addNoiseWords(b, 'how many shapes are there', 1),
      );
  });
});

describe('addSpokenNoise', () => {
  const examples = (seed: number, n: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () =>
      toTextExample(sampleExample(rng, rng.pick(TASK_TYPES), { wording: 'train' })),
    );
  };

  it('puts noise into the spoken words, and a transcript follows them while other answers stay', () => {
    const rng = new Rng(7);
    let changed = 0;
    for (const e of examples(3, 600)) {
      const out = addSpokenNoise(rng, e, 1);
      assert.equal(out.prompt, e.prompt);
      if (e.spoken === null) {
        assert.deepEqual(out, e);
        continue;
      }
      assert.ok(out.spoken !== null && isSubsequence(words(e.spoken), words(out.spoken)), out.spoken ?? '');
      assert.notEqual(out.spoken, e.spoken);
      assert.equal(out.answer, e.type === 'transcribe' ? out.spoken : e.answer);
      changed++;
    }
    assert.ok(changed > 100, `only ${changed} examples with audio`);
  });

  it('leaves the example as it was with probability 0', () => {
    const rng = new Rng(8);
    for (const e of examples(4, 200)) assert.deepEqual(addSpokenNoise(rng, e, 0), e);
  });
});

describe('swapWord', () => {
  it('replaces exactly one word of a share p of prompts with a made-up word, keeping the rest and the punctuation', () => {
    const rng = new Rng(9);
    const prompt = 'Hey, what color is the circle in the picture??';
    const known = knownWords();
    let changed = 0;
    for (let i = 0; i < 400; i++) {
      const out = swapWord(rng, prompt, 0.5);
      if (out === prompt) continue;
      changed++;
      const a = words(prompt);
      const b = words(out);
      assert.equal(b.length, a.length, out);
      const diff = a.map((_w, k) => k).filter((k) => a[k] !== b[k]);
      assert.equal(diff.length, 1, out);
      const k = diff[0]!;
      assert.equal(
        b[k]!.replace(/[A-Za-z]+/, 'X'),
        a[k]!.replace(/[A-Za-z]+/, 'X'),
        `punctuation of "${a[k]}" in ${out}`,
      );
      assert.ok(!known.has(b[k]!.toLowerCase().replace(/[^a-z]/g, '')), out);
    }
    assert.ok(changed > 150 && changed < 250, `changed ${changed} of 400`);
    assert.equal(swapWord(rng, prompt, 0), prompt);
  });

  it('never replaces a colour, a shape or the noun a colour qualifies, nor the word before one', () => {
    const rng = new Rng(10);
    const prompt = 'how many red shapes are there, is there a blue circle or a square';
    const kept = new Set(['red', 'shapes', 'many', 'a', 'blue', 'circle', 'square']);
    for (let i = 0; i < 300; i++) {
      const a = words(prompt);
      const b = words(swapWord(rng, prompt, 1));
      for (let k = 0; k < a.length; k++) if (kept.has(a[k]!)) assert.equal(b[k], a[k], b.join(' '));
    }
  });

  it('follows the capitals of the word it replaces, and leaves prompts too short to keep their task', () => {
    const rng = new Rng(11);
    for (let i = 0; i < 50; i++) {
      const out = swapWord(rng, 'WHERE IS THE STAR?', 1);
      assert.equal(out, out.toUpperCase());
      assert.ok(out.endsWith('STAR?'), out);
      const titled = words(swapWord(rng, 'Where Is The Star', 1));
      for (const w of titled) assert.match(w, /^[A-Z][a-z]*$/);
    }
    const short = ['transcribe', 'describe it', 'Transcribe, please'].filter((s) => words(s).length < SWAP_MIN_WORDS);
    assert.equal(short.length, 3);
    for (const s of short) assert.equal(swapWord(rng, s, 1), s);
  });
});

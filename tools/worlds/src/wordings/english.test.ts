import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { HELDOUT_OFF_TOPIC_PROMPTS, OTHER_SHAPES, REFUSAL } from '../refusal.js';
import type { TextExample } from '../tasks.js';
import { normaliseText } from '../normalise.js';
import {
  addEverydayEnglish,
  ENGLISH,
  ENGLISH_LIMITS,
  sampleSpokenEnglish,
  SPOKEN_ENGLISH_MAX_WORDS,
  spokenEnglishSentences,
  worldWords,
} from './english.js';
import { expandContractions } from './decorate.js';
import { heldoutOnlyWords } from './noise.js';
import { recognise } from './recognise.js';

const words = (s: string) => s.replace(/[,?]/g, ' ').split(/\s+/).filter(Boolean);
const refusal = (prompt: string, refusalKind: TextExample['refusalKind']): TextExample => ({
  type: 'refusal',
  prompt,
  answer: REFUSAL,
  cells: null,
  spoken: null,
  refusalKind,
});

describe('everyday English from WordNet in training refusals', () => {
  it('holds thousands of short real sentences and hundreds of nouns for things', () => {
    assert.ok(ENGLISH.sentences.length > 20000, `${ENGLISH.sentences.length} sentences`);
    assert.ok(ENGLISH.nouns.length > 500, `${ENGLISH.nouns.length} nouns`);
    assert.ok(ENGLISH.sentences.includes('the flight was delayed due to trouble with the airplane'));
    assert.ok(ENGLISH.nouns.includes('hammer'));
    for (const s of ENGLISH.sentences) {
      const n = words(s).length;
      assert.ok(n >= ENGLISH_LIMITS.minWords && n <= ENGLISH_LIMITS.maxWords, s);
      assert.match(s, /^[a-z' ,?]+$/, s);
    }
    for (const w of ENGLISH.nouns) assert.match(w, /^[a-z]{3,12}$/, w);
  });

  it('holds nothing the worlds answer: no shape, colour, device, room or medium, no prompt recognised as a task', () => {
    const world = worldWords();
    for (const w of ['circle', 'stars', 'red', 'lamp', 'kitchen', 'picture', 'say', 'audio'])
      assert.ok(world.has(w), w);
    for (const s of ENGLISH.sentences) {
      for (const w of words(s)) assert.ok(!world.has(w.replace(/^'+|'+$/g, '')), `${s}: ${w}`);
      assert.equal(recognise(s), undefined, s);
    }
    for (const w of ENGLISH.nouns) assert.ok(!world.has(w), w);
  });

  it('never teaches a held-out word or prompt, so the held-out refusals stay unread', () => {
    const heldout = heldoutOnlyWords();
    for (const w of ['octagon', 'trapezoid', 'pizza', 'bicycle']) assert.ok(heldout.has(w), w);
    for (const s of ENGLISH.sentences) for (const w of words(s)) assert.ok(!heldout.has(w), `${s}: ${w}`);
    for (const w of ENGLISH.nouns) assert.ok(!heldout.has(w) && !OTHER_SHAPES.heldout.includes(w), w);
    const sentences = new Set(ENGLISH.sentences);
    for (const p of HELDOUT_OFF_TOPIC_PROMPTS) assert.ok(!sentences.has(normaliseText(p)), p);
  });

  it('gives a share p of everyday refusals a WordNet sentence and of near misses a WordNet noun, nothing else', () => {
    const rng = new Rng(5);
    const sentences = new Set(ENGLISH.sentences);
    const nouns = new Set(ENGLISH.nouns);
    const answer: TextExample = {
      ...refusal('what color is the circle', undefined),
      type: 'color_of_shape',
      answer: 'red',
    };
    let everyday = 0;
    let near = 0;
    for (let i = 0; i < 400; i++) {
      assert.deepEqual(addEverydayEnglish(rng, answer, 1), answer);
      const wrong = refusal('what color is the circle', 'wrong_medium');
      assert.deepEqual(addEverydayEnglish(rng, wrong, 1), wrong);

      const e = addEverydayEnglish(rng, refusal('tell me a joke', 'everyday'), 0.5);
      assert.equal(e.answer, REFUSAL);
      if (e.prompt !== 'tell me a joke') {
        everyday++;
        const bare = normaliseText(expandContractions(e.prompt));
        assert.ok(
          [...sentences].some((s) => bare.includes(normaliseText(expandContractions(s)))),
          e.prompt,
        );
      }

      const m = addEverydayEnglish(rng, refusal('Are there any hexagons in the picture?', 'near_miss'), 0.5);
      if (m.prompt !== 'Are there any hexagons in the picture?') {
        near++;
        const found = /^Are there any ([a-z]+)s in the picture\?$/.exec(m.prompt);
        assert.ok(found && nouns.has(found[1] as string), m.prompt);
      }
    }
    assert.ok(everyday > 160 && everyday < 240, `${everyday} of 400`);
    assert.ok(near > 160 && near < 240, `${near} of 400`);
  });

  it('leaves a near miss without an unknown shape (an unknown colour, a size question) as it was', () => {
    const e = refusal('is the circle big', 'near_miss');
    assert.deepEqual(addEverydayEnglish(new Rng(1), e, 1), e);
  });
});

describe("spoken English for the audio sets' copy clips", () => {
  it('keeps the sentences a transcript can hold word for word, up to 9 words, none with a world or held-out word', () => {
    const spoken = spokenEnglishSentences();
    assert.ok(spoken.length > 20000, `${spoken.length} sentences`);
    assert.ok(spoken.includes('a babel of inhuman noises'));
    assert.ok(!spoken.includes('the flight was delayed due to trouble with the airplane'), 'ten words');
    const world = worldWords();
    const heldout = heldoutOnlyWords();
    for (const s of spoken) {
      assert.match(s, /^[a-z]+( [a-z]+)*$/, s);
      const n = s.split(' ').length;
      assert.ok(n >= ENGLISH_LIMITS.minWords && n <= SPOKEN_ENGLISH_MAX_WORDS, s);
      for (const w of s.split(' ')) assert.ok(!world.has(w) && !heldout.has(w), `${s}: ${w}`);
    }
  });

  it('draws them from the rng, so a seed gives the same sentences', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const drawn = Array.from({ length: 50 }, () => sampleSpokenEnglish(a));
    assert.deepEqual(
      drawn,
      Array.from({ length: 50 }, () => sampleSpokenEnglish(b)),
    );
    assert.ok(new Set(drawn).size > 45, 'different sentences');
  });
});

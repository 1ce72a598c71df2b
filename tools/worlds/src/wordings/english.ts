/**
 * Everyday English in training refusals: a share of the `everyday` refusals' prompts replaced by a
 * usage example from WordNet ("the flight was delayed due to trouble with the airplane"), and a share of the
 * `near_miss` ones given a common noun from WordNet for the unknown shape ("is there a hammer"), so
 * the refusal is learnt from thousands of real sentences and things rather than the few dozen
 * hand-written topics (refusal.ts). english.json is written by english-from-wordnet.ts (WordNet's
 * licence: synonyms.ts); it holds nothing the worlds answer and no held-out word.
 */
import englishJson from './english.json' with { type: 'json' };
import type { Rng } from '../rng.js';
import { OBJECTS_BY_ACTION, ROOMS } from '../home/spec.js';
import { otherShapes } from '../refusal.js';
import { COLORS, SHAPES } from '../shapes/spec.js';
import type { TextExample } from '../tasks.js';
import { decorate } from './decorate.js';
import { plural } from './prompts.js';

/** What english-from-wordnet.ts keeps: examples of 3 to 10 words, nouns tagged at least twice. */
export const ENGLISH_LIMITS = { minWords: 3, maxWords: 10, minTagged: 2 } as const;

/** Media and task words: an example using one could be a worlds' request reworded, so none is kept. */
const TASK_WORDS = [
  ...['shape', 'shapes', 'color', 'colors', 'colour', 'colours', 'colored', 'coloured', 'hue'],
  ...['image', 'images', 'picture', 'pictures', 'photo', 'photos', 'drawing', 'scene'],
  ...['audio', 'recording', 'clip', 'voice', 'speaker', 'speak', 'speaks', 'spoke', 'spoken', 'speech'],
  ...['say', 'says', 'said', 'saying', 'transcribe', 'transcript', 'intent', 'command', 'commands'],
  ...['count', 'describe', 'left', 'right', 'top', 'bottom', 'middle', 'center', 'centre', 'corner'],
  ...['light', 'turn', 'switch', 'bring', 'fetch'],
];

/** The worlds' own words: shapes, colours, home devices and rooms, media and task words. */
export function worldWords(): ReadonlySet<string> {
  return new Set([
    ...SHAPES,
    ...SHAPES.map(plural),
    ...COLORS,
    ...Object.values(OBJECTS_BY_ACTION).flat(),
    ...ROOMS,
    ...TASK_WORDS,
  ]);
}

interface EnglishTable {
  readonly source: string;
  readonly sentences: readonly string[];
  readonly nouns: readonly string[];
}
export const ENGLISH = englishJson as EnglishTable;

/** Every trained unknown shape, the `wide` ones too (a `base` near miss never names those). */
const OTHER_SHAPE_RE = new RegExp(`\\b(${otherShapes('train', 'wide').join('|')})(s?)\\b`);

/**
 * A training refusal with everyday English (probability `p` for each): an `everyday` one's prompt
 * becomes a WordNet example (decorated as the listed ones are), a `near_miss` one's unknown shape a
 * WordNet noun (its plural kept; a shape written in capitals stays, as measured in docs/worlds.md);
 * any other example, or one not drawn, as it was.
 */
export function addEverydayEnglish(rng: Rng, e: TextExample, p: number): TextExample {
  if (e.type !== 'refusal' || !rng.bool(p)) return e;
  if (e.refusalKind === 'everyday')
    return { ...e, prompt: decorate(rng, rng.pick(ENGLISH.sentences), 'question', { split: 'train', context: false }) };
  if (e.refusalKind === 'near_miss' && OTHER_SHAPE_RE.test(e.prompt)) {
    const noun = rng.pick(ENGLISH.nouns);
    return { ...e, prompt: e.prompt.replace(OTHER_SHAPE_RE, (_, _s: string, s: string) => (s ? `${noun}s` : noun)) };
  }
  return e;
}

/** Most words of a spoken English sentence (spoken commands run 1 to 9 words: wordings/copy.ts). */
export const SPOKEN_ENGLISH_MAX_WORDS = 9;

let spokenEnglish: readonly string[] | undefined;
/**
 * The WordNet sentences a speaker can read out and a transcript can hold word for word: no
 * apostrophe (`baby's` has no transcript spelling the worlds use), commas and question marks
 * dropped, at most SPOKEN_ENGLISH_MAX_WORDS words. Like every sentence here, none has a world's word
 * or a held-out word.
 */
export function spokenEnglishSentences(): readonly string[] {
  spokenEnglish ??= ENGLISH.sentences
    .filter((s) => !s.includes("'"))
    .map((s) => s.replace(/[,?]/g, ' ').split(/\s+/).filter(Boolean))
    .filter((w) => w.length <= SPOKEN_ENGLISH_MAX_WORDS)
    .map((w) => w.join(' '));
  return spokenEnglish;
}

/**
 * An everyday English sentence to speak and transcribe (the audio sets' `copy` clips,
 * tools/datagen): real words the worlds never use, so the speech encoder learns to spell words it
 * was not drilled on, as the text LM's copy task (wordings/copy.ts) teaches the LM to copy them.
 */
export function sampleSpokenEnglish(rng: Rng): string {
  return rng.pick(spokenEnglishSentences());
}

/**
 * Extra words in training prompts, so that the model learns which words carry the task and that
 * other words do not change it: fillers people say (`um`, `actually`, `by the way`) and made-up
 * words (`brelo`, `tamkis`: a word it never saw, read in BPE pieces, as an unseen real word is).
 * Training data only (generate-text.ts `--noise`, and `--spoken-noise` for the words spoken): the
 * tables' and the held-out sets stay as drawn.
 *
 * Two rules keep it honest and consistent:
 * - no noise word is a word of any list of the worlds (trained or held out), so no held-out word
 *   is trained through the noise (`knownWords`, tested);
 * - no noise word goes right before a colour or a shape word, or the noun a colour is put before
 *   (`is there a brelo circle`, `how many brelo shapes` would teach that an unknown word there is
 *   harmless, which the refusals of `is there a pink circle`, `how many pink shapes` contradict).
 */
import { CONFIRMATIONS, HOME_PROMPTS, OBJECTS_BY_ACTION, ROOMS, WORDINGS } from '../home/spec.js';
import {
  ATTRIBUTE_FRAMES,
  HELDOUT_OFF_TOPIC_PROMPTS,
  OFF_TOPIC_FILLERS,
  OFF_TOPIC_FRAMES,
  OFF_TOPIC_PROMPTS,
  OTHER_COLORS,
  OTHER_SHAPES,
  REFUSAL,
  WIDE_NEAR_MISSES,
} from '../refusal.js';
import type { Rng } from '../rng.js';
import type { TextExample } from '../tasks.js';
import { COLORS, SHAPES } from '../shapes/spec.js';
import { CONTRACTIONS, DECORATIONS } from './decorate.js';
import { ENGLISH, worldWords } from './english.js';
import { HELDOUT_WORDINGS, HOME_FRAMES, MORE_WORDINGS } from './home.js';
import { TABLE_PROMPTS } from './prompts.js';
import { SHAPE_FRAMES } from './shapes.js';

/** Fillers people put into a request that change nothing about it (none is a word of the worlds' lists). */
export const FILLER_WORDS: readonly string[] = [
  'um',
  'uh',
  'er',
  'hmm',
  'oh',
  'well',
  'like',
  'actually',
  'really',
  'basically',
  'honestly',
  'anyway',
  'maybe',
  'right',
  'you know',
  'i guess',
  'by the way',
  'real quick',
  'for real',
  'again',
];

/** Every word in a value of strings, arrays and records (templates' syntax and slots dropped). */
export function wordsIn(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string') {
    for (const w of value
      .toLowerCase()
      .replace(/\{\w+\}/g, ' ')
      .split(/[^a-z']+/)) {
      if (w) out.add(w.replace(/^'+|'+$/g, ''));
    }
  } else if (Array.isArray(value)) for (const v of value) wordsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) wordsIn(v, out);
  return out;
}

const TRAINED_SOURCES: unknown[] = [
  Object.values(SHAPE_FRAMES).map((s) => s.train),
  Object.values(HOME_FRAMES).map((s) => s.train),
  DECORATIONS.train,
  WORDINGS,
  MORE_WORDINGS,
  OFF_TOPIC_PROMPTS,
  OFF_TOPIC_FRAMES.train,
  OFF_TOPIC_FILLERS.train,
  OTHER_SHAPES.train,
  OTHER_COLORS.train,
  ATTRIBUTE_FRAMES.train,
  SHAPES,
  COLORS,
  OBJECTS_BY_ACTION,
  ROOMS,
  TABLE_PROMPTS,
  HOME_PROMPTS,
  CONFIRMATIONS,
  CONTRACTIONS,
  REFUSAL,
];
const HELDOUT_SOURCES: unknown[] = [
  Object.values(SHAPE_FRAMES).map((s) => s.heldout),
  Object.values(HOME_FRAMES).map((s) => s.heldout),
  DECORATIONS.heldout,
  HELDOUT_WORDINGS,
  HELDOUT_OFF_TOPIC_PROMPTS,
  OFF_TOPIC_FRAMES.heldout,
  OFF_TOPIC_FILLERS.heldout,
  OTHER_SHAPES.heldout,
  OTHER_COLORS.heldout,
  ATTRIBUTE_FRAMES.heldout,
];

let known: Set<string> | undefined;
/** Every word of the worlds' lists, trained (the `wide` near misses too) and held out. */
export function knownWords(): ReadonlySet<string> {
  known ??= wordsIn([...TRAINED_SOURCES, WIDE_NEAR_MISSES, ...HELDOUT_SOURCES], new Set());
  return known;
}

/** The words that only the held-out lists use (what the held-out evaluation reads that training never does; the `wide` near misses add none: refusal.test.ts). */
export function heldoutOnlyWords(): ReadonlySet<string> {
  const trained = wordsIn(TRAINED_SOURCES, new Set());
  return new Set([...wordsIn(HELDOUT_SOURCES, new Set())].filter((w) => !trained.has(w)));
}

const ONSETS = [
  'b',
  'd',
  'f',
  'g',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'z',
  'bl',
  'br',
  'gr',
  'kr',
  'pl',
  'st',
  'tr',
  'sh',
  'ch',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ou', 'ee'];
const CODAS = ['', '', '', 'n', 'r', 's', 't', 'k', 'm', 'l'];

/** A pronounceable word of one to three syllables that is no word of the worlds' lists. */
export function madeUpWord(rng: Rng): string {
  for (;;) {
    const syllables = rng.int(1, 3);
    let w = '';
    for (let i = 0; i < syllables; i++) w += rng.pick(ONSETS) + rng.pick(VOWELS) + rng.pick(CODAS);
    if (w.length >= 3 && !knownWords().has(w)) return w;
  }
}

/**
 * Words a noise word may not precede: colours and shapes (also those the worlds do not have), the
 * nouns a colour is put before (`red shapes`, `red one`), and their plurals.
 */
const SLOT_WORDS: ReadonlySet<string> = new Set(
  [
    ...SHAPES,
    ...COLORS,
    ...OTHER_SHAPES.train,
    ...OTHER_SHAPES.heldout,
    ...OTHER_COLORS.train,
    ...OTHER_COLORS.heldout,
    ...WIDE_NEAR_MISSES.shapes,
    ...WIDE_NEAR_MISSES.colors,
    ...['shape', 'object', 'thing', 'one'],
  ].flatMap((w) => [w, `${w}s`]),
);

/** A word's letters in lower case (punctuation and apostrophes dropped). */
export const bare = (word: string) => word.toLowerCase().replace(/[^a-z]/g, '');
/** Whether `word` (absent past a prompt's end) is a slot word: nothing made up may go right before it. */
const isSlot = (word: string | undefined) => word !== undefined && SLOT_WORDS.has(bare(word));

let realWords: readonly string[] | undefined;
/**
 * Real English words for noise (experiment): the words of WordNet's usage examples (english.json,
 * which holds no held-out word) of three letters or more that are no word of the worlds' lists, no
 * world word and no slot word, so an unknown real word in a prompt is not only ever a refusal's.
 */
export function realNoiseWords(): readonly string[] {
  if (!realWords) {
    const skip = new Set([...knownWords(), ...worldWords()]);
    const words = wordsIn(ENGLISH.sentences, new Set());
    realWords = [...words].filter((w) => /^[a-z]{3,}$/.test(w) && !skip.has(w) && !SLOT_WORDS.has(w)).sort();
  }
  return realWords;
}

/** One made-up word, or (probability `real`) a real English word from realNoiseWords(). */
const strayWord = (rng: Rng, real: number) =>
  real > 0 && rng.bool(real) ? rng.pick(realNoiseWords()) : madeUpWord(rng);

/** The noise words of one insertion: a filler, or one or two stray words (made up, or real with probability `real`). */
function noiseItem(rng: Rng, real: number): string {
  if (rng.bool(0.5)) return rng.pick(FILLER_WORDS);
  return rng.bool(0.8) ? strayWord(rng, real) : `${strayWord(rng, real)} ${strayWord(rng, real)}`;
}

/**
 * The prompt with one to three noise insertions (probability `p`; the prompt as it was otherwise),
 * each at a word boundary that is not right before a colour or shape word; trailing punctuation stays
 * at the end, and an all-capitals prompt gets its noise in capitals.
 */
export function addNoiseWords(rng: Rng, prompt: string, p: number, real = 0): string {
  if (!rng.bool(p)) return prompt;
  const m = /^(.*?)([\s?!.,]*)$/s.exec(prompt);
  const body = m?.[1] ?? prompt;
  const end = m?.[2] ?? '';
  const words = body.split(/\s+/).filter(Boolean);
  const shout = /[A-Z]/.test(body) && body === body.toUpperCase();
  const n = rng.bool(0.7) ? 1 : rng.bool(0.8) ? 2 : 3;
  for (let i = 0; i < n; i++) {
    const slots: number[] = [];
    for (let k = 0; k <= words.length; k++) if (!isSlot(words[k])) slots.push(k);
    const item = noiseItem(rng, real);
    words.splice(rng.pick(slots), 0, shout ? item.toUpperCase() : item);
  }
  return `${words.join(' ')}${end}`;
}

/**
 * The example with noise words in its spoken words (probability `p`, as addNoiseWords), for training
 * text forms: a transcript's answer is the spoken words, so it follows them (the model learns to copy
 * words it was never taught instead of writing out the nearest trained command); the other answers
 * stay, since a filler or a stray word does not change what was asked. Examples without audio stay.
 */
export function addSpokenNoise(rng: Rng, e: TextExample, p: number): TextExample {
  if (e.spoken === null) return e;
  const spoken = addNoiseWords(rng, e.spoken, p);
  return { ...e, spoken, answer: e.type === 'transcribe' ? spoken : e.answer };
}

/** The shortest prompt (in words) swapWord changes: in one or two words the swapped word may be the task itself. */
export const SWAP_MIN_WORDS = 3;

/**
 * The prompt with one of its words replaced by a made-up word (probability `p`; the prompt as it was
 * otherwise), so that the model learns to read a task from the frame's other words when one of them
 * is new to it (`what hue is the circle` read as `what color is the circle`). Never a colour, a shape
 * or the noun a colour qualifies, nor the word right before one (as addNoiseWords); punctuation
 * around the word stays, capitals follow the word replaced. For in-scope prompts only: a refused
 * prompt with a word replaced is not always out of scope any more (`what size is the circle`).
 */
export function swapWord(rng: Rng, prompt: string, p: number): string {
  if (!rng.bool(p)) return prompt;
  const words = prompt.split(/\s+/).filter(Boolean);
  if (words.length < SWAP_MIN_WORDS) return prompt;
  const slots = swappablePositions(words);
  if (slots.length === 0) return prompt;
  const k = rng.pick(slots);
  words[k] = replaceWord(words[k] as string, madeUpWord(rng));
  return words.join(' ');
}

/** Positions of words a swap may replace: none is a colour, a shape or such a noun, nor the word right before one. */
export function swappablePositions(words: readonly string[]): number[] {
  const slots: number[] = [];
  for (let k = 0; k < words.length; k++)
    if (bare(words[k] as string) && !isSlot(words[k]) && !isSlot(words[k + 1])) slots.push(k);
  return slots;
}

/** `replacement` in place of `old`'s letters: punctuation around them stays, capitals follow `old`. */
export function replaceWord(old: string, replacement: string): string {
  const letters = /[A-Za-z][A-Za-z']*/.exec(old)?.[0] ?? old;
  const cased =
    letters === letters.toUpperCase() && letters.length > 1
      ? replacement.toUpperCase()
      : /^[A-Z]/.test(letters)
        ? replacement[0]!.toUpperCase() + replacement.slice(1)
        : replacement;
  return old.replace(letters, cased);
}

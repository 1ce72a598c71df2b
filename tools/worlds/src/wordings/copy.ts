/**
 * The copy task, for training text forms: a share of the transcripts whose spoken words are a
 * random sequence of words people say to the worlds (no command, no question) and made-up words.
 * A transcript is the spoken words, word for word; trained only on the commands, the model learns
 * to write the nearest command it knows instead (`could you please switch off the music` →
 * `could you turn off the music`, docs/worlds.md's run 2). Sequences that are no command leave it
 * nothing to recall, only to copy. No held-out word is in them (`heldoutOnlyWords`).
 */
import { OBJECTS_BY_ACTION, ROOMS, WORDINGS } from '../home/spec.js';
import type { Rng } from '../rng.js';
import { COLORS, SHAPES } from '../shapes/spec.js';
import type { TextExample } from '../tasks.js';
import { MORE_WORDINGS } from './home.js';
import { heldoutOnlyWords, madeUpWord, wordsIn } from './noise.js';

/** Fewest and most words of a copied sequence (spoken commands run 1 to 9 words). */
export const COPY_WORDS = { min: 2, max: 9 } as const;
/** The share of a sequence's words that are made up (read in BPE pieces, as an unseen word is). */
const MADE_UP_SHARE = 0.2;

let vocabulary: readonly string[] | undefined;
/** The words a copied sequence is drawn from: those of the trained spoken commands, rooms, objects, shapes and colours. */
export function copyVocabulary(): readonly string[] {
  if (!vocabulary) {
    const heldout = heldoutOnlyWords();
    vocabulary = [...wordsIn([WORDINGS, MORE_WORDINGS, OBJECTS_BY_ACTION, ROOMS, SHAPES, COLORS], new Set())]
      .filter((w) => !heldout.has(w))
      .sort();
  }
  return vocabulary;
}

/** A random word sequence to copy. */
export function copySequence(rng: Rng): string {
  const words = copyVocabulary();
  const n = rng.int(COPY_WORDS.min, COPY_WORDS.max);
  return Array.from({ length: n }, () => (rng.bool(MADE_UP_SHARE) ? madeUpWord(rng) : rng.pick(words))).join(' ');
}

/**
 * A transcript example (probability `p`) with a random sequence as its spoken words and its
 * answer; every other example as it was. The prompt stays: it asks for a transcript.
 */
export function addCopyTask(rng: Rng, e: TextExample, p: number): TextExample {
  if (e.type !== 'transcribe' || !rng.bool(p)) return e;
  const spoken = copySequence(rng);
  return { ...e, spoken, answer: spoken };
}

/**
 * The whole-answer check's rule on babble: a model shown what it was never trained on (a photo,
 * a blank or one-colour image to a model of drawn shapes) can fill the canvas with one word
 * ("red red square red red red red, red red …"). Such an answer is neither an answer nor the
 * refusal; `Unmask` decodes it again one token per step and, if it stays babble, answers with the
 * model's declared refusal (docs/decoding.md, "The whole-answer check").
 */
import { answerWords } from './answer-words.js';

/** Answers shorter than this many words are never babble: short answers repeat words fairly. */
export const BABBLE_MIN_WORDS = 12;

/**
 * Whether `answer` is babble: at least twelve words, one of which makes up half of them or more.
 * Compared as the refusal check compares (lower case, punctuation dropped). Natural text is far
 * from it (its commonest word, "the", is a few in a hundred).
 */
export function isRepetition(answer: string): boolean {
  const said = answerWords(answer);
  if (said.length < BABBLE_MIN_WORDS) return false;
  const counts = new Map<string, number>();
  for (const w of said) counts.set(w, (counts.get(w) ?? 0) + 1);
  return Math.max(...counts.values()) * 2 >= said.length;
}

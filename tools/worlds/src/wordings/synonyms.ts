/**
 * Synonym swaps in training prompts: one content word of a frame replaced by a word WordNet lists
 * as its synonym (`what is the colour of the circle` -> `what is the hue of the circle`), so the
 * model meets real words people use for a request and not only the hand-written frames. Unlike
 * swapWord's made-up words, the prompt stays a well-formed request for the same task.
 *
 * The table (synonyms.json) is written by synonyms-from-wordnet.ts from WordNet 3.0. WordNet's
 * licence: "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved." Permission to
 * use, copy, modify and distribute it for any purpose is granted provided the copyright notice
 * appears on all copies; THE SOFTWARE AND DATABASE IS PROVIDED "AS IS" WITHOUT WARRANTIES.
 *
 * Held-out wordings: WordNet lists a few words that only the held-out lists use (`pic`, `identify`);
 * those synonyms are dropped, so the held-out set stays words the model never read in training.
 */
import synonymsJson from './synonyms.json' with { type: 'json' };
import type { Rng } from '../rng.js';
import { bare, heldoutOnlyWords, replaceWord, swappablePositions } from './noise.js';

/** How many of a word's most frequent WordNet senses (per part of speech) give synonyms. */
export const SYNONYM_SENSES = 2;

/**
 * Frame words that are never swapped: function words, direction words, and media words whose
 * most frequent WordNet senses are something else, since such a synonym would teach that a request
 * about another thing is in scope.
 */
export const SYNONYM_KEEP_OUT: ReadonlySet<string> = new Set([
  // function words and fillers
  ...['the', 'this', 'that', 'these', 'there', 'here', 'what', 'which', 'who', 'how', 'many', 'much'],
  ...['are', 'was', 'were', 'does', 'did', 'can', 'could', 'would', 'will', 'you', 'they', 'she'],
  ...['any', 'some', 'for', 'and', 'not', 'with', 'into', 'out', 'about', 'from', 'its', 'one', 'ones'],
  ...['please', 'thanks', 'thank', 'hey', 'hello', 'excuse', 'question', 'quick'],
  // direction words, and media words whose frequent senses are another thing (`image` -> `persona`,
  // `clip` -> `magazine`, `speaker` -> `loudspeaker`)
  ...['on', 'off', 'up', 'down', 'back', 'image', 'clip', 'recording', 'speaker', 'speech'],
]);

interface SynonymTable {
  readonly source: string;
  readonly senses: number;
  readonly synonyms: Readonly<Record<string, readonly string[]>>;
}
const TABLE = synonymsJson as SynonymTable;

/** The synonyms that are words of the held-out lists only (dropped from training). */
export function heldoutSynonyms(): ReadonlySet<string> {
  const heldout = heldoutOnlyWords();
  return new Set(
    Object.values(TABLE.synonyms)
      .flat()
      .filter((w) => heldout.has(w)),
  );
}

/** Word -> its synonyms usable in training: those only the held-out lists use are dropped. */
export function synonymTable(): ReadonlyMap<string, readonly string[]> {
  const drop = heldoutSynonyms();
  const table = new Map<string, readonly string[]>();
  for (const [word, list] of Object.entries(TABLE.synonyms)) {
    if (SYNONYM_KEEP_OUT.has(word)) continue;
    const kept = list.filter((w) => !drop.has(w));
    if (kept.length) table.set(word, kept);
  }
  return table;
}

/**
 * The prompt with one word that has synonyms replaced by one of them (probability `p`; the prompt
 * as it was otherwise, or when no word has any). Never a colour, a shape or the noun a colour
 * qualifies, nor the word right before one (as swapWord); punctuation around the word stays,
 * capitals follow the word replaced.
 */
export function swapSynonym(
  rng: Rng,
  prompt: string,
  p: number,
  table: ReadonlyMap<string, readonly string[]>,
): string {
  if (!rng.bool(p)) return prompt;
  const words = prompt.split(/\s+/).filter(Boolean);
  const slots = swappablePositions(words).filter((k) => table.has(bare(words[k] as string)));
  if (slots.length === 0) return prompt;
  const k = rng.pick(slots);
  const old = words[k] as string;
  words[k] = replaceWord(old, rng.pick(table.get(bare(old)) as readonly string[]));
  return words.join(' ');
}

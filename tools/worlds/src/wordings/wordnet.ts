/**
 * Reads WordNet 3.0's plain-text database (Debian's wordnet-base) for the extractors that write
 * synonyms.json and english.json. Hand-written: no npm package reads WordNet's files offline.
 */
import { readFileSync } from 'node:fs';

export const WORDNET_POS = ['noun', 'verb', 'adj', 'adv'] as const;
export type WordnetPos = (typeof WORDNET_POS)[number];

export interface Senses {
  /** How often the word's senses in this part of speech were tagged in WordNet's corpus. */
  readonly tagged: number;
  /** Synset offsets, most frequent sense first. */
  readonly offsets: number[];
}

/** Lemma -> its senses in one part of speech (WordNet's index.<pos> file in `dir`). */
export function readIndex(dir: string, pos: WordnetPos): Map<string, Senses> {
  const index = new Map<string, Senses>();
  for (const line of readFileSync(`${dir}/index.${pos}`, 'latin1').split('\n')) {
    if (!line || line.startsWith(' ')) continue;
    const f = line.trim().split(' ');
    const synsets = Number(f[2]);
    const pointers = Number(f[3]);
    // lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets...
    const tagged = Number(f[4 + pointers + 1]);
    const offsets = f.slice(4 + pointers + 2, 4 + pointers + 2 + synsets).map(Number);
    index.set(f[0] as string, { tagged, offsets });
  }
  return index;
}

/** One synset line of a data.<pos> file, split into what the extractors read. */
export interface Synset {
  /** The lexicographer file number (5 noun.animal, 6 noun.artifact, …). */
  readonly lexFile: number;
  /** Its words as written (case kept, phrases underscored), markers like `(a)` dropped. */
  readonly words: string[];
  /** The gloss: definitions, then usage examples in double quotes. */
  readonly gloss: string;
}

/** The synset written on `line` (a line of data.<pos>, from its offset on). */
export function parseSynset(line: string): Synset {
  const [head = '', gloss = ''] = line.split(' | ');
  const f = head.split(' ');
  const count = parseInt(f[3] as string, 16);
  const words: string[] = [];
  for (let k = 0; k < count; k++) words.push((f[4 + 2 * k] as string).replace(/\(.*\)$/, ''));
  return { lexFile: Number(f[1]), words, gloss };
}

/** Every synset of data.<pos> in `dir` (the licence header's lines skipped). */
export function* readSynsets(dir: string, pos: WordnetPos): Generator<Synset> {
  for (const line of readFileSync(`${dir}/data.${pos}`, 'latin1').split('\n'))
    if (line && !line.startsWith(' ')) yield parseSynset(line);
}

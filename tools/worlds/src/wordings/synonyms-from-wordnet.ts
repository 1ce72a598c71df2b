/**
 * Writes synonyms.json: for each content word of the trained prompt frames and openings, the
 * single-word synonyms WordNet 3.0 lists in the most frequent senses of that word's most used
 * part of speech. Training data
 * swaps a frame word for one of them (synonyms.ts), so the model meets real words people use for
 * the same request, not only the frames written by hand.
 *   apt-get install wordnet-base && tsx tools/worlds/src/wordings/synonyms-from-wordnet.ts > tools/worlds/src/wordings/synonyms.json
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HOME_FRAMES } from './home.js';
import { DECORATIONS } from './decorate.js';
import { SHAPE_FRAMES } from './shapes.js';
import { wordsIn } from './noise.js';
import { SYNONYM_KEEP_OUT, SYNONYM_SENSES } from './synonyms.js';
import { parseSynset, readIndex, type Senses, WORDNET_POS } from './wordnet.js';

const { values } = parseArgs({ options: { dir: { type: 'string', default: '/usr/share/wordnet' } } });
const dir = values.dir as string;

/** The words of the synset at `offset` in data.<pos>, lower-cased (underscored phrases as written). */
function synsetWords(data: Buffer, offset: number): string[] {
  return parseSynset(data.toString('latin1', offset, data.indexOf(10, offset))).words.map((w) => w.toLowerCase());
}

const frameWords = wordsIn(
  [
    Object.values(SHAPE_FRAMES).map((s) => s.train.map((f) => f.template)),
    Object.values(HOME_FRAMES).map((s) => s.train.map((f) => f.template)),
    DECORATIONS.train,
  ],
  new Set(),
);

const table: Record<string, string[]> = {};
const indexes = WORDNET_POS.map((pos) => ({ index: readIndex(dir, pos), data: readFileSync(`${dir}/data.${pos}`) }));
for (const word of [...frameWords].sort()) {
  if (word.length < 3 || SYNONYM_KEEP_OUT.has(word)) continue;
  // The word's most used part of speech only (`give` the verb, not the noun `springiness`).
  const uses: { senses: Senses; data: Buffer }[] = [];
  for (const { index, data } of indexes) {
    const senses = index.get(word);
    if (senses) uses.push({ senses, data });
  }
  uses.sort((a, b) => b.senses.tagged - a.senses.tagged);
  const found = new Set<string>();
  const top = uses[0];
  if (top) {
    for (const offset of top.senses.offsets.slice(0, SYNONYM_SENSES)) {
      for (const w of synsetWords(top.data, offset)) if (/^[a-z]+$/.test(w) && w !== word) found.add(w);
    }
  }
  if (found.size) table[word] = [...found].sort();
}

// As the repository's formatter writes it: one line per word, a list past 120 columns one word a line.
const entries = Object.entries(table).map(([word, list]) => {
  const line = `    ${JSON.stringify(word)}: [${list.map((w) => JSON.stringify(w)).join(', ')}]`;
  if (line.length <= 120) return line;
  return `    ${JSON.stringify(word)}: [\n${list.map((w) => `      ${JSON.stringify(w)}`).join(',\n')}\n    ]`;
});
const source = 'WordNet 3.0 (Princeton University), Debian wordnet-base; see synonyms.ts for its licence';
process.stdout.write(
  `{\n  "source": ${JSON.stringify(source)},\n  "senses": ${SYNONYM_SENSES},\n  "synonyms": {\n${entries.join(',\n')}\n  }\n}\n`,
);

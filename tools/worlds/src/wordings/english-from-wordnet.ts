/**
 * Writes english.json: everyday English for the refusal to learn from, out of WordNet 3.0's
 * glosses: its usage examples ("the flight was delayed due to trouble with the airplane") as prompts on other
 * topics, and common nouns for things (artifact, object, animal, food, plant, shape) as the
 * unknown word of near-miss questions ("what color is the hammer"). Nothing the worlds answer is
 * kept: no example naming a shape, a colour, a home device or room, or a medium, none recognised
 * as a task (recognise.ts), and no word only the held-out lists use (heldoutOnlyWords), so the
 * held-out prompts stay unread in training.
 *   apt-get install wordnet-base && tsx tools/worlds/src/wordings/english-from-wordnet.ts > tools/worlds/src/wordings/english.json
 */
import { parseArgs } from 'node:util';
import { ENGLISH_LIMITS, worldWords } from './english.js';
import { heldoutOnlyWords } from './noise.js';
import { recognise } from './recognise.js';
import { readIndex, readSynsets, WORDNET_POS } from './wordnet.js';

const { values } = parseArgs({ options: { dir: { type: 'string', default: '/usr/share/wordnet' } } });
const dir = values.dir as string;

/** WordNet lexicographer files whose nouns are things one could ask the colour or place of. */
const THING_FILES = new Set([5, 6, 13, 17, 20, 25]); // animal, artifact, food, object, plant, shape

const heldout = heldoutOnlyWords();
const world = worldWords();
const allowed = (w: string) => !heldout.has(w) && !world.has(w) && !world.has(w.replace(/(es|s)$/, ''));

/** Lemma -> how often its senses were tagged in WordNet's corpus (index.noun). */
const nounIndex = readIndex(dir, 'noun');

const sentences = new Set<string>();
const nouns = new Set<string>();
for (const pos of WORDNET_POS) {
  for (const synset of readSynsets(dir, pos)) {
    for (const m of synset.gloss.matchAll(/"([^"]+)"/g)) {
      const text = (m[1] as string)
        .toLowerCase()
        .replace(/[.!;:]+$/, '')
        .trim();
      if (!/^[a-z' ,?]+$/.test(text) || text.includes('--')) continue;
      const words = text.replace(/[,?]/g, ' ').split(/\s+/).filter(Boolean);
      if (words.length < ENGLISH_LIMITS.minWords || words.length > ENGLISH_LIMITS.maxWords) continue;
      if (!words.every((w) => allowed(w.replace(/^'+|'+$/g, '')))) continue;
      if (recognise(text) !== undefined) continue;
      sentences.add(text);
    }
    if (pos !== 'noun' || !THING_FILES.has(synset.lexFile)) continue;
    for (const w of synset.words) {
      const tagged = nounIndex.get(w)?.tagged ?? 0;
      if (/^[a-z]{3,12}$/.test(w) && tagged >= ENGLISH_LIMITS.minTagged && allowed(w)) nouns.add(w);
    }
  }
}

const list = (xs: Iterable<string>) =>
  [...xs]
    .sort()
    .map((x) => `    ${JSON.stringify(x)}`)
    .join(',\n');
const source = 'WordNet 3.0 (Princeton University), Debian wordnet-base; see synonyms.ts for its licence';
process.stdout.write(
  `{\n  "source": ${JSON.stringify(source)},\n  "sentences": [\n${list(sentences)}\n  ],\n  "nouns": [\n${list(nouns)}\n  ]\n}\n`,
);

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { COLORS, SHAPES } from '../shapes/spec.js';
import { heldoutOnlyWords } from './noise.js';
import { heldoutSynonyms, swapSynonym, SYNONYM_KEEP_OUT, synonymTable } from './synonyms.js';

const words = (s: string) => s.split(/\s+/).filter(Boolean);

describe('synonym swaps in training prompts', () => {
  it('has WordNet synonyms for the frames’ content words and none for function, direction or slot words', () => {
    const table = synonymTable();
    assert.deepEqual(table.get('colour'), ['color']);
    assert.ok(table.get('respond')?.includes('reply'));
    assert.ok(table.get('show')?.includes('display') || table.get('show')?.includes('exhibit'));
    assert.ok(table.size > 40, `${table.size} words`);
    for (const w of ['the', 'what', 'on', 'off', 'down', 'image', 'speaker', ...SHAPES, ...COLORS])
      assert.ok(!table.has(w), w);
    for (const [word, list] of table) {
      assert.ok(!SYNONYM_KEEP_OUT.has(word), word);
      for (const s of list) assert.match(s, /^[a-z]+$/, `${word} -> ${s}`);
    }
  });

  it('never teaches a word that only the held-out lists use', () => {
    const heldout = heldoutOnlyWords();
    const dropped = heldoutSynonyms();
    assert.ok(dropped.has('pic'), 'WordNet lists `pic` for `photo`; the held-out set says `in the pic`');
    for (const list of synonymTable().values()) for (const s of list) assert.ok(!heldout.has(s), s);
  });

  it('replaces exactly one word of a share p of prompts with one of its synonyms, keeping punctuation and capitals', () => {
    const table = synonymTable();
    const rng = new Rng(3);
    const prompt = 'Please, DESCRIBE what the picture shows!';
    let changed = 0;
    for (let i = 0; i < 400; i++) {
      const out = swapSynonym(rng, prompt, 0.5, table);
      if (out === prompt) continue;
      changed++;
      const a = words(prompt);
      const b = words(out);
      assert.equal(b.length, a.length, out);
      const diff = a.map((_, k) => k).filter((k) => a[k] !== b[k]);
      assert.equal(diff.length, 1, out);
      const k = diff[0]!;
      const was = a[k]!.toLowerCase().replace(/[^a-z]/g, '');
      const now = b[k]!.toLowerCase().replace(/[^a-z]/g, '');
      assert.ok(table.get(was)?.includes(now), `${was} -> ${now}`);
      assert.equal(b[k]!.replace(/[A-Za-z]+/, 'X'), a[k]!.replace(/[A-Za-z]+/, 'X'), out);
      if (was === 'describe') assert.equal(b[k], b[k]!.toUpperCase(), out);
    }
    assert.ok(changed > 150 && changed < 250, `changed ${changed} of 400`);
    assert.equal(swapSynonym(rng, prompt, 0, table), prompt);
  });

  it('leaves a prompt whose words have no synonyms, and the colour, shape and the word before them, as they are', () => {
    const table = synonymTable();
    const rng = new Rng(4);
    assert.equal(swapSynonym(rng, 'what is the', 1, table), 'what is the');
    const prompt = 'tell me the colour of the circle';
    for (let i = 0; i < 100; i++) {
      const b = words(swapSynonym(rng, prompt, 1, table));
      assert.equal(b.slice(-2).join(' '), 'the circle');
    }
  });
});

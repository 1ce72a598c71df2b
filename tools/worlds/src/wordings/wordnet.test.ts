import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSynset } from './wordnet.js';

describe("reading WordNet's data lines", () => {
  it('splits a synset line into its lexicographer file, its words (markers dropped) and its gloss', () => {
    const line =
      '00021445 00 a 03 Big(a) 0 large 0 big_top 0 001 ! 00022219 a 0101 | above average in size; "a big house"; "large crowds"  ';
    const synset = parseSynset(line);
    assert.equal(synset.lexFile, 0);
    assert.deepEqual(synset.words, ['Big', 'large', 'big_top']);
    assert.deepEqual(
      [...synset.gloss.matchAll(/"([^"]+)"/g)].map((m) => m[1]),
      ['a big house', 'large crowds'],
    );
  });

  it('reads the word count in hexadecimal, as WordNet writes it', () => {
    const words = Array.from({ length: 16 }, (_, k) => `w${k} 0`).join(' ');
    const synset = parseSynset(`02769748 06 n 10 ${words} 000 | sixteen words`);
    assert.equal(synset.lexFile, 6);
    assert.equal(synset.words.length, 16);
    assert.equal(synset.words[15], 'w15');
  });
});

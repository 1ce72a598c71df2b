import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TextTokenizer } from '@unmask/core';
import { checkpointTokenizerFile } from './slow-tokenizer.js';

/**
 * A slow Qwen2 tokenizer in miniature: every byte-level character of the test texts, a few merges
 * in priority order, and tokenizer_config.json's added tokens (Dream's chat markers and mask).
 */
function slowQwen2(dir: string, tokenizerClass: string | undefined = 'Qwen2Tokenizer'): void {
  const chars = [...new Set('helowrdHi!0123456789.,?Ġ\u010a\u00c3\u00a9stab'.split(''))];
  const merged = [
    'he',
    'll',
    'hell',
    'hello',
    'Ġw',
    'Ġwor',
    'or',
    'ld',
    'Ġworld',
    "'s",
    '\u00c3\u00a9',
    'Ġ\u00c3\u00a9',
  ];
  const vocab = Object.fromEntries([...chars, "'", ...merged].map((t, i) => [t, i]));
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(
    join(dir, 'merges.txt'),
    [
      '#version: 0.2',
      'h e',
      'l l',
      'he ll',
      'hell o',
      'Ġ w',
      'o r',
      'Ġw or',
      'l d',
      'Ġwor ld',
      "' s",
      '\u00c3 \u00a9',
      'Ġ \u00c3\u00a9',
    ].join('\n'),
  );
  const size = Object.keys(vocab).length;
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      ...(tokenizerClass ? { tokenizer_class: tokenizerClass } : {}),
      added_tokens_decoder: {
        [size]: { content: '<|endoftext|>', special: true },
        [size + 1]: { content: '<|im_start|>', special: true },
        [size + 2]: { content: '<|mask|>', special: true },
      },
    }),
  );
}

describe('a slow Qwen2 tokenizer (vocab.json + merges.txt, no tokenizer.json), as Dream and Dimple may ship it', () => {
  const dirs: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-slow-tok-'));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('becomes the byte-level BPE tokenizer.json transformers builds (merges by priority, Qwen2 pre-tokenizer split, added tokens)', () => {
    const dir = folder();
    slowQwen2(dir);
    const tokenizer = TextTokenizer.fromFile(checkpointTokenizerFile(dir));
    assert.deepEqual(tokenizer.tokenize('hello world'), ['hello', 'Ġworld']);
    // Digits are split one by one (\p{N}); punctuation runs stay together, with a leading space.
    assert.deepEqual(tokenizer.tokenize('Hi 2024!'), ['H', 'i', 'Ġ', '2', '0', '2', '4', '!']);
    assert.deepEqual(tokenizer.tokenize("hello's"), ['hello', "'s"]);
    // Added tokens are whole tokens wherever they stand.
    const size = tokenizer.tokenToId('<|endoftext|>')!;
    assert.deepEqual(tokenizer.encode('<|im_start|>hello<|mask|>').slice(0, 1), [size + 1]);
    assert.equal(tokenizer.encode('<|im_start|>hello<|mask|>').at(-1), size + 2);
    assert.equal(tokenizer.decode(tokenizer.encode('hello world, hi!')), 'hello world, hi!');
  });

  it('normalises to NFC first (e + combining acute is é), as Qwen2Tokenizer does', () => {
    const dir = folder();
    slowQwen2(dir);
    const tokenizer = TextTokenizer.fromFile(checkpointTokenizerFile(dir));
    assert.deepEqual(tokenizer.tokenize(' e\u0301'), tokenizer.tokenize(' \u00e9'));
    assert.deepEqual(tokenizer.tokenize(' \u00e9'), ['Ġ\u00c3\u00a9']);
  });

  it('is taken only for a Qwen2 tokenizer, and a broken merges.txt is named', () => {
    const other = folder();
    slowQwen2(other, 'GPT2Tokenizer');
    assert.throws(() => checkpointTokenizerFile(other), /its slow tokenizer is a GPT2Tokenizer; only Qwen2Tokenizer's/);
    const none = folder();
    assert.throws(() => checkpointTokenizerFile(none), /has no tokenizer\.json \(nor vocab\.json and merges\.txt/);
    const broken = folder();
    slowQwen2(broken);
    writeFileSync(join(broken, 'merges.txt'), '#version: 0.2\nh e\nzz q\n');
    assert.throws(() => checkpointTokenizerFile(broken), /merges\.txt: line 2: "zz" is not in vocab\.json/);
  });
});

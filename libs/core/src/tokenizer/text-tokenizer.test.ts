import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnmaskError } from '../errors.js';
import { TextTokenizer } from './text-tokenizer.js';

const path = fileURLToPath(new URL('../../test-fixtures/tiny-bundle/tokenizer.json', import.meta.url));

describe('TextTokenizer (tiny word-level tokenizer.json)', () => {
  const tokenizer = TextTokenizer.fromFile(path);

  it('encodes words and special tokens to their ids and decodes them back', () => {
    const ids = tokenizer.encode('<|user|> the cat <|mask|><|mask|>');
    assert.deepEqual(tokenizer.tokenize('<|user|> the cat <|mask|><|mask|>'), [
      '<|user|>',
      'the',
      'cat',
      '<|mask|>',
      '<|mask|>',
    ]);
    assert.deepEqual(ids, [
      tokenizer.tokenToId('<|user|>'),
      tokenizer.tokenToId('the'),
      tokenizer.tokenToId('cat'),
      2,
      2,
    ]);
    assert.equal(tokenizer.decode(ids), '<|user|> the cat <|mask|> <|mask|>');
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'the cat');
    assert.equal(tokenizer.decode([]), '', 'an empty answer decodes to the empty string');
  });

  it('maps unknown words to the unknown token and reports its vocabulary size', () => {
    assert.deepEqual(tokenizer.encode('zebra'), [tokenizer.tokenToId('<|unk|>')]);
    assert.equal(tokenizer.size, 64);
    assert.equal(tokenizer.idToToken(2), '<|mask|>');
    assert.equal(tokenizer.tokenToId('zebra'), undefined);
  });

  it('names the file when it is not JSON', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'unmask-tok-')), 'tokenizer.json');
    writeFileSync(bad, '{ not json');
    assert.throws(
      () => TextTokenizer.fromFile(bad),
      (e) => isUnmaskError(e, 'invalid_bundle') && e.message.startsWith(`${bad}: not valid JSON`),
    );
  });
});

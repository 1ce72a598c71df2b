import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadBundle } from '@unmask/core';
import { QWEN2_FIXTURE } from '../../test-support/lm-parity.js';
import { convertCheckpoint } from '../convert-checkpoint.js';

describe('unmask convert on a Qwen2 (Dream-layout) checkpoint that ships only a slow tokenizer', () => {
  const work = mkdtempSync(join(tmpdir(), 'unmask-slow-convert-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('writes a bundle whose tokenizer.json is the byte-level BPE built from vocab.json + merges.txt, with the special tokens of tokenizer_config.json', async () => {
    const from = join(work, 'checkpoint');
    const to = join(work, 'bundle');
    const source = join(QWEN2_FIXTURE, 'checkpoint');
    mkdirSync(from);
    for (const file of ['config.json', 'model.safetensors']) copyFileSync(join(source, file), join(from, file));
    const chars = [...'helowrdĠ'];
    const vocab = Object.fromEntries(
      [...chars, 'he', 'll', 'hell', 'hello', 'Ġw', 'or', 'Ġwor', 'ld', 'Ġworld'].map((t, i) => [t, i]),
    );
    writeFileSync(join(from, 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(
      join(from, 'merges.txt'),
      ['#version: 0.2', 'h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld'].join('\n'),
    );
    const { chat_template } = JSON.parse(readFileSync(join(source, 'tokenizer_config.json'), 'utf8'));
    writeFileSync(
      join(from, 'tokenizer_config.json'),
      JSON.stringify({
        tokenizer_class: 'Qwen2Tokenizer',
        added_tokens_decoder: {
          100: { content: '<|endoftext|>', special: true },
          101: { content: '<|im_start|>', special: true },
          102: { content: '<|im_end|>', special: true },
          103: { content: '<|mask|>', special: true },
        },
        mask_token: '<|mask|>',
        eos_token: '<|endoftext|>',
        pad_token: '<|endoftext|>',
        chat_template,
      }),
    );
    assert.equal(existsSync(join(from, 'tokenizer.json')), false);
    convertCheckpoint({ from, to });
    const bundle = await loadBundle(to, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    try {
      assert.deepEqual(bundle.specialTokens.mask, { token: '<|mask|>', id: 103 });
      assert.deepEqual(bundle.specialTokens.eos, { token: '<|endoftext|>', id: 100 });
      assert.deepEqual(bundle.tokenizer.encode('<|im_start|>hello world<|im_end|>'), [101, 11, 16, 102]);
      const written = JSON.parse(readFileSync(join(to, 'tokenizer.json'), 'utf8'));
      assert.equal(written.model.type, 'BPE');
    } finally {
      await bundle.close();
    }
  });
});

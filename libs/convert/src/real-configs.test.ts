/**
 * The real files of the five checkpoints that public repositories carry
 * (test-fixtures/real-configs/README.md says where each comes from), parsed as `unmask convert`
 * parses them: every field accepted as upstream reads it, and every tensor a
 * model.safetensors.index.json lists either converted or skipped for a stated reason.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { ChatTemplate } from '@unmask/core';
import { readBundleMetadata } from './bundle/bundle-metadata.js';
import { architectureFromConfig } from './lm/checkpoint-config.js';
import { expectedShapes } from './lm/tensor-layout.js';

const REAL = fileURLToPath(new URL('../test-fixtures/real-configs/', import.meta.url));
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('LLaDA-V’s language model files (ML-GSAI/LLaDA-V, train/llada_v_prepare/files)', () => {
  const dir = join(REAL, 'llada-v-lm');
  const arch = architectureFromConfig(json(join(dir, 'config.json')), 'llada-v-lm/config.json');
  const work = mkdtempSync(join(tmpdir(), 'unmask-real-configs-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('reads LLaDA under Llama field names: LLaDA-8B’s sizes, Llama tensor names, unshifted logits, no mask id in config.json', () => {
    assert.equal(arch.modelType, 'llada');
    assert.equal(arch.layout, 'llama');
    assert.deepEqual(
      [arch.hiddenSize, arch.numLayers, arch.numHeads, arch.numKvHeads, arch.headDim, arch.intermediateSize],
      [4096, 32, 32, 32, 128, 12288],
    );
    assert.deepEqual(
      [arch.vocabSize, arch.ropeTheta, arch.rmsNormEps, arch.maxPositions],
      [126464, 500000, 1e-5, 16384],
    );
    assert.equal(arch.tiedEmbeddings, false);
    assert.equal(arch.shiftedLogits, false);
    assert.deepEqual(arch.tokenIds, { eos: 126081, bos: 128000 });
  });

  it('converts every tensor model.safetensors.index.json lists, and needs no other', () => {
    const listed = Object.keys((json(join(dir, 'model.safetensors.index.json')) as { weight_map: object }).weight_map);
    const expected = expectedShapes(arch);
    assert.equal(listed.length, 291);
    assert.deepEqual(
      listed.filter((name) => !expected.has(name)),
      [],
      'every listed tensor is converted',
    );
    assert.deepEqual(
      [...expected.keys()].filter((name) => !listed.includes(name)),
      [],
      'every tensor the graphs need is listed',
    );
  });

  it('takes <|mdm_mask|> from additional_special_tokens as the mask (id 126336, upstream’s mask_id), the tokenizer’s BOS over config.json’s 128000, and the chat template', () => {
    // The repository does not store tokenizer.json: a stand-in with the real added tokens at their ids.
    const config = json(join(dir, 'tokenizer_config.json')) as {
      added_tokens_decoder: Record<string, { content: string }>;
      chat_template: string;
    };
    const added = Object.entries(config.added_tokens_decoder).map(([id, t]) => ({
      id: Number(id),
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
    writeFileSync(
      join(work, 'tokenizer.json'),
      JSON.stringify({
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: added,
        normalizer: null,
        pre_tokenizer: { type: 'WhitespaceSplit' },
        post_processor: null,
        decoder: null,
        model: { type: 'WordLevel', vocab: { '<unk>': 0 }, unk_token: '<unk>' },
      }),
    );
    copyFileSync(join(dir, 'tokenizer_config.json'), join(work, 'tokenizer_config.json'));
    const metadata = readBundleMetadata(work, arch);
    assert.deepEqual(metadata.specialTokens, {
      mask: { token: '<|mdm_mask|>', id: 126336 },
      eos: { token: '<|endoftext|>', id: 126081 },
      pad: { token: '<|endoftext|>', id: 126081 },
      bos: { token: '<|startoftext|>', id: 126080 },
    });
    assert.equal(metadata.chatTemplate, config.chat_template);
    const rendered = new ChatTemplate(metadata.chatTemplate, 'tokenizer_config.json').render(
      [
        { role: 'system', content: 'S' },
        { role: 'user', content: ' Q ' },
      ],
      { variables: { bos_token: '<|startoftext|>' }, addGenerationPrompt: true },
    );
    assert.equal(
      rendered,
      '<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Bundle, loadBundle } from '@unmask/core';
import {
  LLAMA_CHECKPOINT,
  LLAMA_FIXTURE,
  lladaConfig,
  makeCheckpoint,
  type StoredTensor,
  toLladaName,
} from '../test-support/checkpoint-fixtures.js';
import {
  checkParity,
  forwardLogits,
  QWEN2_FIXTURE,
  referenceOf,
  relativeError,
  VOCAB,
} from '../test-support/lm-parity.js';
import { convertCheckpoint } from './convert-checkpoint.js';

describe('unmask convert on the bidirectional Llama and Qwen2 fixtures (parity with transformers)', () => {
  const llama = referenceOf(LLAMA_FIXTURE);
  const work = mkdtempSync(join(tmpdir(), 'unmask-convert-'));
  const checkpoints: string[] = [];
  const open: Bundle[] = [];
  const load = async (dir: string) => {
    const bundle = await loadBundle(dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    open.push(bundle);
    return bundle;
  };
  const bundleOf = (name: string) => open.find((b) => b.dir === join(work, name))!;
  after(async () => {
    await Promise.all(open.map((b) => b.close()));
    for (const dir of [work, ...checkpoints]) rmSync(dir, { recursive: true, force: true });
  });

  describe('the Llama tensor layout', () => {
    let bundle: Bundle;
    before(async () => {
      convertCheckpoint({ from: LLAMA_CHECKPOINT, to: join(work, 'llama') });
      bundle = await load(join(work, 'llama'));
    });

    it('gives a bundle loadBundle accepts, with sizes from config.json and special tokens from the tokenizer files', () => {
      assert.deepEqual(bundle.manifest.sizes, {
        vocab_size: 512,
        hidden_size: 64,
        num_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        head_dim: 16,
        max_positions: 256,
      });
      assert.equal(bundle.manifest.lm.shifted_logits, false);
      assert.deepEqual(bundle.specialTokens.mask, { id: 3, token: '<|mdm_mask|>' });
      assert.deepEqual(bundle.specialTokens.eos, { id: 2, token: '<|endoftext|>' });
      assert.deepEqual(
        bundle.specialTokens.pad,
        { id: 2, token: '<|endoftext|>' },
        'no pad token anywhere: the EOS token pads',
      );
      assert.deepEqual(bundle.specialTokens.bos, { id: 1, token: '<|startoftext|>' });
      const prompt = bundle.chatTemplate.render([{ role: 'user', content: 'hello' }], {
        variables: { bos_token: '<|startoftext|>' },
      });
      assert.equal(
        prompt,
        '<|startoftext|><|start_header_id|>user<|end_header_id|> hello<|eot_id|><|start_header_id|>assistant<|end_header_id|> ',
      );
    });

    it('computes transformers’ bidirectional logits within 1e-3 relative, with and without key padding', async (t) => {
      await checkParity(t, bundle, llama);
    });

    it('reproduces its full-forward logits from a kept KV cache (present keys after rotary, past keys attended)', async () => {
      const { seq, inputIds } = llama;
      const ids = inputIds.slice(0, seq);
      const positions = Array.from({ length: seq }, (_, i) => i);
      const split = 12;
      const [full] = await bundle.model.forward([
        { inputIds: ids, positionIds: positions, logitsIndices: positions, keep: [[0, split]] },
      ]);
      assert.equal(full!.cache!.length, split);
      const tail = positions.slice(split);
      const [cached] = await bundle.model.forward([
        { inputIds: ids.slice(split), positionIds: tail, logitsIndices: tail.map((_, i) => i), past: full!.cache! },
      ]);
      full!.cache!.release();
      const { relative } = relativeError(cached!.logits, full!.logits.subarray(split * VOCAB));
      assert.ok(relative < 1e-5, `relative error ${relative}`);
    });

    it('keeps the weights inside the graph files when they are small', () => {
      assert.equal(existsSync(join(work, 'llama', 'lm.onnx.data')), false);
    });
  });

  describe('the LLaDA tensor layout (model.transformer.*), sharded, with external data', () => {
    let bundle: Bundle;
    before(async () => {
      const dir = makeCheckpoint({
        config: lladaConfig(),
        tensors: (tensors) => new Map([...tensors].map(([name, tensor]) => [toLladaName(name), tensor])),
        shards: 3,
      });
      checkpoints.push(dir);
      convertCheckpoint({ from: dir, to: join(work, 'llada'), externalDataThreshold: 64 * 1024 });
      bundle = await load(join(work, 'llada'));
    });

    it('writes the weights to external data files beside the graphs', () => {
      assert.ok(existsSync(join(work, 'llada', 'lm.onnx.data')));
      assert.ok(existsSync(join(work, 'llada', 'embed.onnx.data')));
    });

    it('takes the mask and EOS ids from config.json', () => {
      assert.deepEqual(bundle.specialTokens.mask, { id: 3, token: '<|mdm_mask|>' });
      assert.deepEqual(bundle.specialTokens.pad, { id: 2, token: '<|endoftext|>' });
    });

    it('computes the same logits as transformers on the same weights, within 1e-3 relative', async (t) => {
      await checkParity(t, bundle, llama);
    });
  });

  describe('the Qwen2 / Dream tensor layout (q/k/v biases, rope θ 1e6)', () => {
    let bundle: Bundle;
    before(async () => {
      convertCheckpoint({ from: join(QWEN2_FIXTURE, 'checkpoint'), to: join(work, 'qwen2') });
      bundle = await load(join(work, 'qwen2'));
    });

    it('marks the logits as shifted and takes the special tokens from tokenizer_config.json', () => {
      assert.equal(bundle.manifest.lm.shifted_logits, true);
      assert.deepEqual(bundle.specialTokens.mask, { id: 3, token: '<|mask|>' });
      assert.deepEqual(bundle.specialTokens.eos, { id: 0, token: '<|endoftext|>' });
      assert.equal(bundle.specialTokens.bos, undefined);
    });

    it('computes transformers’ bidirectional logits within 1e-3 relative, with and without key padding', async (t) => {
      await checkParity(t, bundle, referenceOf(QWEN2_FIXTURE));
    });
  });

  describe('tied embeddings', () => {
    it('use the embedding matrix as the LM head: same logits as an untied copy whose head equals the embedding', async () => {
      const copyHead = (tensors: Map<string, StoredTensor>) =>
        new Map(tensors).set('lm_head.weight', tensors.get('model.embed_tokens.weight')!);
      const untied = makeCheckpoint({ tensors: copyHead });
      const config = JSON.parse(readFileSync(join(LLAMA_CHECKPOINT, 'config.json'), 'utf8'));
      const tied = makeCheckpoint({
        config: { ...config, tie_word_embeddings: true },
        tensors: (t) => new Map([...t].filter(([name]) => name !== 'lm_head.weight')),
      });
      checkpoints.push(untied, tied);
      convertCheckpoint({ from: untied, to: join(work, 'untied') });
      convertCheckpoint({ from: tied, to: join(work, 'tied') });
      const a = await forwardLogits(await load(join(work, 'untied')), llama);
      const b = await forwardLogits(await load(join(work, 'tied')), llama);
      assert.deepEqual(b, a);
      const original = await forwardLogits(bundleOf('llama'), llama);
      assert.notDeepEqual(b, original, 'the head really changed');
    });
  });
});

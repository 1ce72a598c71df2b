import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '../test-support/safetensors-file.js';
import type { OnnxSession } from '../runtime/onnx-session.js';
import { OnnxWorkerPool } from '../runtime/worker-pool.js';
import { OnnxLanguageModel } from './onnx-language-model.js';

// The bidirectional Llama fixture (Hugging Face transformers reference logits), exported into
// the LM graph contract by tools/train/make_test_bundle.py.
const dir = fileURLToPath(new URL('../../test-fixtures/llama-bidirectional/', import.meta.url));
const reference = SafetensorsFile.read(`${dir}reference.safetensors`);
const [BATCH, SEQ] = reference.integers('input_ids').shape as [number, number];
const VOCAB = 512;
const inputIds = reference.integers('input_ids').data;
const keyMask = reference.integers('key_mask').data;

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

describe('the exported bidirectional Llama fixture', () => {
  let pool: OnnxWorkerPool;
  let model: OnnxLanguageModel;
  before(async () => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    model = await OnnxLanguageModel.create({
      pool,
      embedGraph: `${dir}embed.onnx`,
      lmGraph: `${dir}lm.onnx`,
      info: {
        vocabSize: VOCAB,
        hiddenSize: 64,
        maxPositions: 256,
        maskTokenId: 0,
        eosTokenId: 2,
        padTokenId: 0,
        shiftedLogits: false,
      },
      geometry: { numLayers: 2, numKeyValueHeads: 2, headDim: 16 },
    });
  });
  after(() => pool.close());

  it('matches transformers’ bidirectional logits within 1e-3 through OnnxLanguageModel', async () => {
    const positions = Array.from({ length: SEQ }, (_, i) => i);
    const rows = Array.from({ length: BATCH }, (_, b) => ({
      inputIds: inputIds.slice(b * SEQ, (b + 1) * SEQ),
      positionIds: positions,
      logitsIndices: positions,
    }));
    const results = await model.forward(rows);
    const expected = reference.float32('logits_bidirectional').data;
    results.forEach((result, b) =>
      assert.ok(maxAbsDiff(result.logits, expected.subarray(b * SEQ * VOCAB, (b + 1) * SEQ * VOCAB)) < 1e-3),
    );
  });

  it('matches the key-padded logits within 1e-3 when the graph gets the key mask', async () => {
    const lm: OnnxSession = model.lmSession;
    const embedded = await model.embedSession.run({
      input_ids: { type: 'int64', dims: [BATCH, SEQ], data: BigInt64Array.from(inputIds.map(BigInt)) },
    });
    const positions = BigInt64Array.from({ length: BATCH * SEQ }, (_, i) => BigInt(i % SEQ));
    const empty = { type: 'float32' as const, dims: [BATCH, 2, 0, 16], data: new Float32Array(0) };
    const out = await lm.run(
      {
        inputs_embeds: embedded.inputs_embeds!,
        attention_mask: { type: 'int64', dims: [BATCH, SEQ], data: BigInt64Array.from(keyMask.map(BigInt)) },
        position_ids: { type: 'int64', dims: [BATCH, SEQ], data: positions },
        logits_indices: { type: 'int64', dims: [BATCH, SEQ], data: positions },
        'past_key_values.0.key': empty,
        'past_key_values.0.value': empty,
        'past_key_values.1.key': empty,
        'past_key_values.1.value': empty,
      },
      ['logits'],
    );
    assert.ok(
      maxAbsDiff(out.logits!.data as Float32Array, reference.float32('logits_bidirectional_keypad').data) < 1e-3,
    );
  });
});

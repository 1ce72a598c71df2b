/**
 * The parity harness of the LM graph against transformers' reference outputs of a fixture
 * (`reference.safetensors`: input ids, a key mask, bidirectional logits with and without key
 * padding), shared by the standard-operator and contrib-operator specs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { Bundle, TensorData } from '@unmask/core';
import { SafetensorsFile } from '@unmask/core/testing';

export const QWEN2_FIXTURE = fileURLToPath(new URL('../test-fixtures/qwen2-bidirectional/', import.meta.url));

/** transformers' reference outputs of a fixture (bidirectional attention, positions 0..S−1). */
export function referenceOf(fixture: string) {
  const file = SafetensorsFile.read(join(fixture, 'reference.safetensors'));
  const [batch, seq] = file.integers('input_ids').shape as [number, number];
  return {
    file,
    batch,
    seq,
    inputIds: file.integers('input_ids').data,
    keyMask: Array.from(file.float32('key_mask').data),
  };
}
export type Reference = ReturnType<typeof referenceOf>;
export const VOCAB = 512;

/** max |actual − expected| / max |expected|, and the absolute difference. */
export function relativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { relative: number; absolute: number } {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return { relative: worst / scale, absolute: worst };
}

/** Full-sequence logits of both reference rows through OnnxLanguageModel.forward. */
export async function forwardLogits(
  bundle: Bundle,
  { batch: BATCH, seq: SEQ, inputIds }: Reference,
): Promise<Float32Array> {
  const positions = Array.from({ length: SEQ }, (_, i) => i);
  const rows = Array.from({ length: BATCH }, (_, b) => ({
    inputIds: inputIds.slice(b * SEQ, (b + 1) * SEQ),
    positionIds: positions,
    logitsIndices: positions,
  }));
  const results = await bundle.model.forward(rows);
  const out = new Float32Array(BATCH * SEQ * VOCAB);
  results.forEach((result, b) => out.set(result.logits, b * SEQ * VOCAB));
  return out;
}

/** The key-padded reference case: the LM graph run directly with the fixture's key mask. */
export async function keyPaddedLogits(
  bundle: Bundle,
  { batch: BATCH, seq: SEQ, inputIds, keyMask }: Reference,
): Promise<Float32Array> {
  const embedded = await bundle.model.embedSession.run({
    input_ids: { type: 'int64', dims: [BATCH, SEQ], data: BigInt64Array.from(inputIds.map(BigInt)) },
  });
  const positions = BigInt64Array.from({ length: BATCH * SEQ }, (_, i) => BigInt(i % SEQ));
  const { num_layers: layers, num_key_value_heads: kv, head_dim: dim } = bundle.manifest.sizes;
  const feeds: Record<string, TensorData> = {
    inputs_embeds: embedded.inputs_embeds!,
    attention_mask: { type: 'int64', dims: [BATCH, SEQ], data: BigInt64Array.from(keyMask.map(BigInt)) },
    position_ids: { type: 'int64', dims: [BATCH, SEQ], data: positions },
    logits_indices: { type: 'int64', dims: [BATCH, SEQ], data: positions },
  };
  for (let i = 0; i < layers; i++) {
    for (const part of ['key', 'value'])
      feeds[`past_key_values.${i}.${part}`] = { type: 'float32', dims: [BATCH, kv, 0, dim], data: new Float32Array(0) };
  }
  const out = await bundle.model.lmSession.run(feeds, ['logits']);
  return out.logits!.data as Float32Array;
}

export async function checkParity(t: TestContext, bundle: Bundle, reference: Reference): Promise<void> {
  const plain = relativeError(
    await forwardLogits(bundle, reference),
    reference.file.float32('logits_bidirectional').data,
  );
  const padded = relativeError(
    await keyPaddedLogits(bundle, reference),
    reference.file.float32('logits_bidirectional_keypad').data,
  );
  t.diagnostic(
    `no padding: max abs ${plain.absolute.toExponential(2)}, relative ${plain.relative.toExponential(2)}; key padding: max abs ${padded.absolute.toExponential(2)}, relative ${padded.relative.toExponential(2)}`,
  );
  assert.ok(plain.relative < 1e-3, `relative error ${plain.relative} without padding`);
  assert.ok(padded.relative < 1e-3, `relative error ${padded.relative} with key padding`);
}

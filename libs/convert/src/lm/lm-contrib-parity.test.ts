import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Bundle, loadBundle, UnmaskError } from '@unmask/core';
import { SafetensorsFile } from '@unmask/core/testing';
import {
  LLAMA_CHECKPOINT,
  LLAMA_FIXTURE,
  lladaConfig,
  makeCheckpoint,
  toLladaName,
} from '../../test-support/checkpoint-fixtures.js';
import { DIMPLE_FIXTURE, makeDimpleCheckpoint } from '../../test-support/dimple-fixture.js';
import {
  checkParity,
  QWEN2_FIXTURE,
  referenceOf,
  type Reference,
  relativeError,
  VOCAB,
} from '../../test-support/lm-parity.js';
import { convertCheckpoint } from '../convert-checkpoint.js';
import { convertModel } from '../convert-model.js';

const CONTRIB_OPS = [
  'SimplifiedLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'RotaryEmbedding',
  'MultiHeadAttention',
];

/** Whether a node of the graph file has this op type (NodeProto field 4, length-delimited: tag 0x22, length, bytes). */
const usesOp = (graph: string, op: string) =>
  readFileSync(graph).includes(Buffer.concat([Buffer.from([0x22, op.length]), Buffer.from(op, 'latin1')]));

/** Whether the graph file has an initializer of this name (TensorProto field 8: tag 0x42, length, bytes). */
const hasInitializer = (graph: string, name: string) =>
  readFileSync(graph).includes(Buffer.concat([Buffer.from([0x42, name.length]), Buffer.from(name, 'latin1')]));
/** Initializers only the standard layers use: their key padding bias, attention scale, head grouping and rotary tables. */
const STANDARD_ATTENTION = ['lowest', 'axes_bias', 'attn_scale', 'shape_grouped'];
const STANDARD_ROTARY = ['inv_freq', 'half_mid', 'axis_heads'];

/** A row's full-forward logits, then the same positions recomputed from a cache kept of its first `split` positions. */
async function keptCacheError(bundle: Bundle, { seq, inputIds }: Reference, split: number): Promise<number> {
  const ids = inputIds.slice(0, seq);
  const positions = Array.from({ length: seq }, (_, i) => i);
  const [full] = await bundle.model.forward([
    { inputIds: ids, positionIds: positions, logitsIndices: positions, keep: [[0, split]] },
  ]);
  const tail = positions.slice(split);
  const [cached] = await bundle.model.forward([
    { inputIds: ids.slice(split), positionIds: tail, logitsIndices: tail.map((_, i) => i), past: full!.cache! },
  ]);
  full!.cache!.release();
  return relativeError(cached!.logits, full!.logits.subarray(split * VOCAB)).relative;
}

/** Two rows with caches of different lengths in one batch (the runtime pads the past): logits of both rows. */
async function raggedCacheLogits(bundle: Bundle, { seq, inputIds }: Reference): Promise<Float32Array[]> {
  const positions = Array.from({ length: seq }, (_, i) => i);
  const rows = [5, 11].map((split) => ({ ids: inputIds.slice(0, seq), split }));
  const kept = await bundle.model.forward(
    rows.map(({ ids, split }) => ({
      inputIds: ids,
      positionIds: positions,
      logitsIndices: [0],
      keep: [[0, split]] as [number, number][],
    })),
  );
  const out = await bundle.model.forward(
    rows.map(({ ids, split }, r) => ({
      inputIds: ids.slice(split),
      positionIds: positions.slice(split),
      logitsIndices: positions.slice(split).map((_, i) => i),
      past: kept[r]!.cache!,
    })),
  );
  kept.forEach((k) => k.cache!.release());
  return out.map((o) => o.logits);
}

describe('the LM graph in onnxruntime contrib operators (ops: contrib, the default) and in standard operators', () => {
  const llama = referenceOf(LLAMA_FIXTURE);
  const qwen2 = referenceOf(QWEN2_FIXTURE);
  const work = mkdtempSync(join(tmpdir(), 'unmask-contrib-'));
  const checkpoints: string[] = [];
  const open: Bundle[] = [];
  const convert = async (
    from: string,
    name: string,
    options: { ops?: 'standard' | 'contrib'; weights?: 'fp32' | 'int4' } = {},
  ) => {
    convertCheckpoint({
      from,
      to: join(work, name),
      ops: options.ops ?? 'contrib',
      ...(options.weights ? { weights: options.weights } : {}),
    });
    const bundle = await loadBundle(join(work, name), { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    open.push(bundle);
    return bundle;
  };
  after(async () => {
    await Promise.all(open.map((b) => b.close()));
    for (const dir of [work, ...checkpoints]) rmSync(dir, { recursive: true, force: true });
  });

  describe('the Llama tensor layout (grouped-query heads 4 / 2)', () => {
    let contrib: Bundle;
    let standard: Bundle;
    before(async () => {
      contrib = await convert(LLAMA_CHECKPOINT, 'llama-contrib');
      standard = await convert(LLAMA_CHECKPOINT, 'llama-standard', { ops: 'standard' });
    });

    it('writes SimplifiedLayerNormalization, SkipSimplifiedLayerNormalization, RotaryEmbedding and MultiHeadAttention nodes, which the standard graph has none of', () => {
      for (const op of CONTRIB_OPS) {
        assert.ok(usesOp(join(work, 'llama-contrib', 'lm.onnx'), op), `${op} in the contrib graph`);
        assert.ok(!usesOp(join(work, 'llama-standard', 'lm.onnx'), op), `${op} not in the standard graph`);
      }
      assert.match(contrib.manifest.description ?? '', /contrib operators/);
    });

    it('leaves out the standard layers’ attention mask bias and rotary tables, which only the standard graph has', () => {
      for (const name of [...STANDARD_ATTENTION, ...STANDARD_ROTARY]) {
        assert.ok(!hasInitializer(join(work, 'llama-contrib', 'lm.onnx'), name), `${name} not in the contrib graph`);
        assert.ok(hasInitializer(join(work, 'llama-standard', 'lm.onnx'), name), `${name} in the standard graph`);
      }
    });

    it('computes transformers’ bidirectional logits within 1e-3 relative, with and without key padding', async (t) => {
      await checkParity(t, contrib, llama);
    });

    it('and in standard operators (ops: standard) too', async (t) => {
      await checkParity(t, standard, llama);
    });

    it('reproduces its full-forward logits from a kept KV cache, within 1e-5 relative', async () => {
      for (const split of [1, 12]) assert.ok((await keptCacheError(contrib, llama, split)) < 1e-5, `split ${split}`);
    });

    it('gives the standard graph’s logits for a batch whose rows keep caches of different lengths', async () => {
      const a = await raggedCacheLogits(contrib, llama);
      const b = await raggedCacheLogits(standard, llama);
      a.forEach((logits, r) => assert.ok(relativeError(logits, b[r]!).relative < 1e-5, `row ${r}`));
    });
  });

  describe('the Qwen2 / Dream tensor layout (q/k/v biases, rope θ 1e6)', () => {
    let bundle: Bundle;
    before(async () => {
      bundle = await convert(join(QWEN2_FIXTURE, 'checkpoint'), 'qwen2-contrib');
    });

    it('computes transformers’ bidirectional logits within 1e-3 relative, with and without key padding', async (t) => {
      await checkParity(t, bundle, qwen2);
    });

    it('and in standard operators (ops: standard) too', async (t) => {
      await checkParity(
        t,
        await convert(join(QWEN2_FIXTURE, 'checkpoint'), 'qwen2-standard', { ops: 'standard' }),
        qwen2,
      );
    });

    it('reproduces its full-forward logits from a kept KV cache, within 1e-5 relative', async () => {
      assert.ok((await keptCacheError(bundle, qwen2, 7)) < 1e-5);
    });
  });

  describe('the LLaDA tensor layout with int4 weights', () => {
    it('gives the same logits as the standard graph over the same MatMulNBits weights', async () => {
      const dir = makeCheckpoint({
        config: lladaConfig(),
        tensors: (tensors) => new Map([...tensors].map(([name, tensor]) => [toLladaName(name), tensor])),
      });
      checkpoints.push(dir);
      const contrib = await convert(dir, 'llada-int4-contrib', { weights: 'int4' });
      const standard = await convert(dir, 'llada-int4-standard', { ops: 'standard', weights: 'int4' });
      const positions = Array.from({ length: llama.seq }, (_, i) => i);
      const row = { inputIds: llama.inputIds.slice(0, llama.seq), positionIds: positions, logitsIndices: positions };
      const [a] = await contrib.model.forward([row]);
      const [b] = await standard.model.forward([row]);
      const { relative } = relativeError(a!.logits, b!.logits);
      assert.ok(relative < 1e-4, `relative ${relative}`);
    });
  });

  describe('a Dimple checkpoint (M-RoPE: the graph’s own rotary, the rest in contrib operators)', () => {
    it('gives the PyTorch reference logits of a row with an image at its 3-D positions within 1e-3 relative, and the standard graph’s within 1e-5', async (t) => {
      const from = makeDimpleCheckpoint();
      checkpoints.push(from);
      const reference = SafetensorsFile.read(join(DIMPLE_FIXTURE, 'reference.safetensors'));
      const inputIds = reference.integers('input_ids').data;
      const all = Array.from({ length: inputIds.length }, (_, i) => i);
      const row = {
        inputIds,
        positionIds: all,
        mropePositionIds: reference.integers('position_ids').data,
        embeddings: [{ offset: inputIds.indexOf(28), count: 35, data: reference.float32('image_embeds').data }],
        logitsIndices: all,
      };
      const logits = async (ops: 'standard' | 'contrib') => {
        convertModel({ from, to: join(work, `dimple-${ops}`), ops });
        const bundle = await loadBundle(join(work, `dimple-${ops}`), {
          poolSize: 1,
          sessionOptions: { intraOpNumThreads: 1 },
        });
        open.push(bundle);
        return (await bundle.model.forward([row]))[0]!.logits;
      };
      const contrib = await logits('contrib');
      assert.ok(!usesOp(join(work, 'dimple-contrib', 'lm.onnx'), 'RotaryEmbedding'));
      for (const name of STANDARD_ATTENTION)
        assert.ok(!hasInitializer(join(work, 'dimple-contrib', 'lm.onnx'), name), `${name} not in the contrib graph`);
      assert.ok(hasInitializer(join(work, 'dimple-contrib', 'lm.onnx'), 'half_mid'), 'the M-RoPE rotary tables are');
      assert.ok(usesOp(join(work, 'dimple-contrib', 'lm.onnx'), 'MultiHeadAttention'));
      const toReference = relativeError(contrib, reference.float32('logits').data);
      const toStandard = relativeError(contrib, await logits('standard'));
      t.diagnostic(
        `relative to PyTorch ${toReference.relative.toExponential(2)}, to the standard graph ${toStandard.relative.toExponential(2)}`,
      );
      assert.ok(toReference.relative < 1e-3);
      assert.ok(toStandard.relative < 1e-5);
    });
  });

  it('refuses an operator set it does not know, naming the option', () => {
    assert.throws(
      () => convertCheckpoint({ from: LLAMA_CHECKPOINT, to: join(work, 'bogus'), ops: 'fused' as 'contrib' }),
      (error: unknown) =>
        error instanceof UnmaskError && error.code === 'invalid_parameter' && /^ops: /.test(error.message),
    );
  });
});

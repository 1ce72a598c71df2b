import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnmaskError } from '../errors.js';
import { SafetensorsFile } from '../test-support/safetensors-file.js';
import { OnnxWorkerPool } from '../runtime/worker-pool.js';
import type { ForwardRow, ModelInfo } from './language-model.js';
import { OnnxLanguageModel } from './onnx-language-model.js';

const fixtures = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
const reference = SafetensorsFile.read(`${fixtures}tiny-reference.safetensors`);
const VOCAB = 64;
const info: ModelInfo = {
  vocabSize: VOCAB,
  hiddenSize: 32,
  maxPositions: 128,
  maskTokenId: 2,
  eosTokenId: 1,
  padTokenId: 0,
  shiftedLogits: false,
};
const geometry = { numLayers: 2, numKeyValueHeads: 2, headDim: 8 };

const ids = (name: string) => reference.integers(name).data;
const range = (start: number, end: number) => Array.from({ length: end - start }, (_, i) => start + i);

/** Max |a - b| over rows `from..` of a `[positions, vocab]` reference. */
function maxDiff(actual: Float32Array, expected: Float32Array, fromRow = 0): number {
  assert.equal(actual.length + fromRow * VOCAB, expected.length, 'logits size');
  let worst = 0;
  for (let i = 0; i < actual.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[fromRow * VOCAB + i]!));
  return worst;
}

function fullRow(tokens: readonly number[], extra: Partial<ForwardRow> = {}): ForwardRow {
  return { inputIds: tokens, positionIds: range(0, tokens.length), logitsIndices: range(0, tokens.length), ...extra };
}

describe('OnnxLanguageModel on the tiny bundle (PyTorch reference logits)', () => {
  let pool: OnnxWorkerPool;
  let model: OnnxLanguageModel;
  before(async () => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    model = await OnnxLanguageModel.create({
      pool,
      embedGraph: `${fixtures}tiny-bundle/embed.onnx`,
      lmGraph: `${fixtures}tiny-bundle/lm.onnx`,
      info,
      geometry,
    });
  });
  after(() => pool.close());

  it('computes the same logits as PyTorch for a single row', async () => {
    const [result] = await model.forward([fullRow(ids('a.input_ids'))]);
    assert.ok(maxDiff(result!.logits, reference.float32('a.logits').data) < 1e-4);
  });

  it('gives each row of a padded batch the logits it gets when run alone', async () => {
    const a = ids('a.input_ids');
    const b = ids('b.input_ids');
    const [batchA, batchB] = await model.forward([fullRow(a), fullRow(b)]);
    const [aloneB] = await model.forward([fullRow(b)]);
    assert.ok(maxDiff(batchA!.logits, reference.float32('a.logits').data) < 1e-4);
    assert.ok(maxDiff(batchB!.logits, reference.float32('b.logits').data) < 1e-4);
    assert.ok(maxDiff(batchB!.logits, aloneB!.logits) < 1e-5);
  });

  it('returns logits only for the requested offsets, in the requested order', async () => {
    const a = ids('a.input_ids');
    const [result] = await model.forward([fullRow(a, { logitsIndices: [5, 0] })]);
    const expected = reference.float32('a.logits').data;
    assert.equal(result!.logits.length, 2 * VOCAB);
    assert.ok(maxDiff(result!.logits.subarray(0, VOCAB), expected.subarray(5 * VOCAB, 6 * VOCAB)) < 1e-4);
    assert.ok(maxDiff(result!.logits.subarray(VOCAB), expected.subarray(0, VOCAB)) < 1e-4);
  });

  it('reproduces the full forward from an exactly cached prefix (segment + past)', async () => {
    const c = ids('c.input_ids');
    const [first] = await model.forward([fullRow(c, { keep: [[0, 6]] })]);
    assert.equal(first!.cache?.length, 6);
    const [second] = await model.forward([
      { inputIds: c.slice(6), positionIds: range(6, 11), past: first!.cache!, logitsIndices: range(0, 5) },
    ]);
    assert.ok(maxDiff(second!.logits, reference.float32('c.logits').data, 6) < 1e-4);
    first!.cache!.release();
  });

  it('keeps non-contiguous ranges (dual cache) and reorders past ++ segment as asked', async () => {
    const d1 = ids('d1.input_ids');
    const d2 = ids('d2.input_ids');
    const [pass1] = await model.forward([
      fullRow(d1, {
        logitsIndices: [],
        keep: [
          [0, 4],
          [8, 12],
        ],
      }),
    ]);
    assert.equal(pass1!.logits.length, 0);
    assert.equal(pass1!.cache?.length, 8);
    const [pass2] = await model.forward([
      {
        inputIds: d2.slice(4, 8),
        positionIds: [4, 5, 6, 7],
        past: pass1!.cache!,
        logitsIndices: range(0, 4),
        keep: [
          [0, 4],
          [8, 12],
          [4, 8],
        ],
      },
    ]);
    assert.ok(maxDiff(pass2!.logits, reference.float32('d.logits').data) < 1e-4);
    assert.equal(pass2!.cache?.length, 12);
    const [pass3] = await model.forward([
      { inputIds: ids('d3.input_ids'), positionIds: [12, 13], past: pass2!.cache!, logitsIndices: [0, 1] },
    ]);
    assert.ok(maxDiff(pass3!.logits, reference.float32('d3.logits').data) < 1e-4);
    pass1!.cache!.release();
    pass2!.cache!.release();
  });

  it('batches rows with different cache lengths and segment lengths', async () => {
    const c = ids('c.input_ids');
    const d1 = ids('d1.input_ids');
    const d2 = ids('d2.input_ids');
    const [cFull, dFull] = await model.forward([
      fullRow(c, { keep: [[0, 6]] }),
      fullRow(d1, {
        keep: [
          [0, 4],
          [8, 12],
        ],
      }),
    ]);
    const [cSeg, dSeg, aRow] = await model.forward([
      { inputIds: c.slice(6), positionIds: range(6, 11), past: cFull!.cache!, logitsIndices: range(0, 5) },
      { inputIds: d2.slice(4, 8), positionIds: [4, 5, 6, 7], past: dFull!.cache!, logitsIndices: range(0, 4) },
      fullRow(ids('a.input_ids')),
    ]);
    assert.ok(maxDiff(cSeg!.logits, reference.float32('c.logits').data, 6) < 1e-4);
    assert.ok(maxDiff(dSeg!.logits, reference.float32('d.logits').data) < 1e-4);
    assert.ok(maxDiff(aRow!.logits, reference.float32('a.logits').data) < 1e-4);
    cFull!.cache!.release();
    dFull!.cache!.release();
  });

  it('replaces token embeddings with spliced features', async () => {
    const a = ids('a.input_ids');
    // Splicing the embeddings of other tokens must equal feeding those tokens.
    const embedded = await model.embedSession.run({
      input_ids: { type: 'int64', dims: [1, 2], data: BigInt64Array.from([a[0]!, a[1]!].map(BigInt)) },
    });
    const swapped = [a[0]!, a[1]!, ...a.slice(2)];
    const placeholder = [5, 5, ...a.slice(2)];
    const [viaSplice] = await model.forward([
      fullRow(placeholder, {
        embeddings: [{ offset: 0, count: 2, data: embedded.inputs_embeds!.data as Float32Array }],
      }),
    ]);
    const [viaTokens] = await model.forward([fullRow(swapped)]);
    assert.ok(maxDiff(viaSplice!.logits, viaTokens!.logits) < 1e-6);
  });

  it('frees a released cache in the worker and refuses to use it again', async () => {
    const before = await pool.stats(model.workerIndex);
    const [result] = await model.forward([fullRow(ids('c.input_ids'), { keep: [[0, 11]] })]);
    const cache = result!.cache!;
    const held = await pool.stats(model.workerIndex);
    assert.equal(held.caches, before.caches + 1);
    assert.equal(held.cacheBytes - before.cacheBytes, 2 * 2 * 2 * 11 * 8 * 4); // layers × (k, v) × heads × positions × head_dim × 4
    cache.release();
    cache.release();
    const after = await pool.stats(model.workerIndex);
    assert.equal(after.caches, before.caches);
    await assert.rejects(
      model.forward([{ inputIds: [10], positionIds: [11], past: cache, logitsIndices: [0] }]),
      (error) => isUnmaskError(error, 'invalid_parameter') && /was released/.test(error.message),
    );
  });

  it('rejects malformed rows with the field named', async () => {
    const cases: [ForwardRow, RegExp][] = [
      [{ inputIds: [], positionIds: [], logitsIndices: [] }, /rows\[0\]\.inputIds: the segment is empty/],
      [{ inputIds: [1, 2], positionIds: [0], logitsIndices: [] }, /positionIds: has 1 entries for 2/],
      [{ inputIds: [64], positionIds: [0], logitsIndices: [] }, /token id 64 .* outside the vocabulary/],
      [{ inputIds: [3], positionIds: [0], logitsIndices: [1] }, /logitsIndices: index 1 is outside/],
      [{ inputIds: [3], positionIds: [0], logitsIndices: [], keep: [[0, 2]] }, /keep\[0\]: range \[0, 2\)/],
      [
        {
          inputIds: [3],
          positionIds: [0],
          logitsIndices: [],
          embeddings: [{ offset: 0, count: 1, data: new Float32Array(3) }],
        },
        /embeddings\[0\]\.data: has 3 floats/,
      ],
    ];
    for (const [row, message] of cases) {
      await assert.rejects(
        model.forward([row]),
        (error) => isUnmaskError(error, 'invalid_parameter') && message.test(error.message),
      );
    }
    await assert.rejects(model.forward([{ inputIds: [3], positionIds: [128], logitsIndices: [0] }]), (error) =>
      isUnmaskError(error, 'context_length_exceeded'),
    );
  });
});

describe('OnnxLanguageModel when its worker crashes', () => {
  it('fails the forward in flight, reports caches as lost, and runs again afterwards', async () => {
    const pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    try {
      const model = await OnnxLanguageModel.create({
        pool,
        embedGraph: `${fixtures}tiny-bundle/embed.onnx`,
        lmGraph: `${fixtures}tiny-bundle/lm.onnx`,
        info,
        geometry,
      });
      const c = ids('c.input_ids');
      const [kept] = await model.forward([fullRow(c, { keep: [[0, 6]] })]);
      const crash = pool.simulateCrash(model.workerIndex);
      const inFlight = model.forward([fullRow(c)]);
      await assert.rejects(crash, (error) => isUnmaskError(error, 'runtime_error'));
      await assert.rejects(inFlight, (error) => isUnmaskError(error, 'runtime_error') && /crashed/.test(error.message));
      await assert.rejects(
        model.forward([{ inputIds: c.slice(6), positionIds: range(6, 11), past: kept!.cache!, logitsIndices: [0] }]),
        (error) =>
          isUnmaskError(error, 'runtime_error') &&
          /KV cache #\d+ was lost: the ONNX worker holding it crashed/.test(error.message),
      );
      kept!.cache!.release();
      const [again] = await model.forward([fullRow(c)]);
      assert.ok(maxDiff(again!.logits, reference.float32('c.logits').data) < 1e-4);
    } finally {
      await pool.close();
    }
  });
});

describe('OnnxLanguageModel: the key/value outputs are loaded when a pass first keeps a cache', () => {
  let pool: OnnxWorkerPool;
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(() => pool.close());
  const open = (keyValueOutputs?: 'always') =>
    OnnxLanguageModel.create({
      pool,
      embedGraph: `${fixtures}tiny-bundle/embed.onnx`,
      lmGraph: `${fixtures}tiny-bundle/lm.onnx`,
      info,
      geometry,
      ...(keyValueOutputs ? { keyValueOutputs } : {}),
    });

  it('loads the LM graph without them, and its logits are the reference', async () => {
    const model = await open();
    assert.equal(model.hasKeyValueOutputs, false);
    assert.deepEqual(
      model.lmSession.outputs.map((o) => o.name),
      ['logits'],
    );
    assert.deepEqual(model.lmSession.dropped.map((o) => o.name).sort(), [
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
    ]);
    const [result] = await model.forward([fullRow(ids('a.input_ids'))]);
    assert.ok(maxDiff(result!.logits, reference.float32('a.logits').data) < 1e-4);
    await model.close();
  });

  it('loads them again with the first pass that keeps a cache, releases the first session, and caches as always', async () => {
    const model = await open();
    const sessionsBefore = (await pool.stats(0)).sessions;
    const c = ids('c.input_ids');
    const [first] = await model.forward([fullRow(c, { keep: [[0, 6]] })]);
    assert.equal(model.hasKeyValueOutputs, true);
    assert.equal((await pool.stats(0)).sessions, sessionsBefore, 'one LM session replaced by another');
    const [second] = await model.forward([
      { inputIds: c.slice(6), positionIds: range(6, 11), past: first!.cache!, logitsIndices: range(0, 5) },
    ]);
    assert.ok(maxDiff(second!.logits, reference.float32('c.logits').data, 6) < 1e-4);

    const always = await open('always');
    assert.equal(always.hasKeyValueOutputs, true);
    const [cached] = await always.forward([fullRow(c, { keep: [[0, 6]] })]);
    assert.deepEqual(first!.logits, cached!.logits);
    first!.cache!.release();
    cached!.cache!.release();
    await Promise.all([model.close(), always.close()]);
  });

  it('lets passes on the first session finish while a pass that keeps a cache loads the second', async () => {
    const model = await open();
    const a = ids('a.input_ids');
    const c = ids('c.input_ids');
    const [plain, keeping, after] = await Promise.all([
      model.forward([fullRow(a)]),
      model.forward([fullRow(c, { keep: [[0, 6]] })]),
      model.forward([fullRow(a)]),
    ]);
    assert.ok(maxDiff(plain[0]!.logits, reference.float32('a.logits').data) < 1e-4);
    assert.ok(maxDiff(after[0]!.logits, reference.float32('a.logits').data) < 1e-4);
    assert.equal(keeping[0]!.cache?.length, 6);
    keeping[0]!.cache!.release();
    await model.close();
    assert.equal((await pool.stats(0)).sessions, 0, 'every session of the closed model released');
  });
});

/**
 * Specification of the cross-request prefix cache against an independent reference: a LLaDA-layout
 * transformer written out in JavaScript from the checkpoint's weights (test-support/reference-llada.ts)
 * computes the cache's semantics as a mask on a full forward (the shared prefix's positions attend
 * to the prefix alone; the rest of the prompt and the answer attend to everything). The model under
 * test is that checkpoint converted by `unmask convert` with its defaults (contrib operators, the
 * last layer's MLP and head on the logit rows only; test-fixtures/tiny-llada-contrib, written by
 * tools/scripts/make-prefix-cache-fixture.ts), run through the ONNX worker, the engine and its
 * `PrefixCache`: rotary positions continuing after the prefix, a second prompt longer than the
 * first, an image's features spliced into the prefix, rows of several lengths in one batch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadBundle, type Bundle } from '../bundle/load-bundle.js';
import type { ForwardRow, ForwardRowResult, LanguageModel, SplicedEmbeddings } from '../model/language-model.js';
import { ReferenceLlada, readLladaWeights, type ReferenceWeights } from '../test-support/reference-llada.js';
import { DecodingEngine } from './decoding-engine.js';
import type { GenerateRequest } from './request.js';
import { PrefixCache } from './prefix-cache.js';

const FIXTURE = new URL('../../test-fixtures/tiny-llada-contrib/', import.meta.url).pathname;
/** Logits of the ONNX graph (float32) against the float64 reference: |Δ| at most this. */
const TOLERANCE = 2e-4;

/** Records every pass of the model it wraps. */
class Recording implements LanguageModel {
  readonly calls: { rows: readonly ForwardRow[]; results: ForwardRowResult[] }[] = [];
  constructor(private readonly inner: LanguageModel) {}
  get info() {
    return this.inner.info;
  }
  async forward(rows: readonly ForwardRow[]): Promise<ForwardRowResult[]> {
    const results = await this.inner.forward(rows);
    this.calls.push({ rows, results: results.map((r) => ({ ...r, logits: r.logits.slice() })) });
    return results;
  }
}

/** The engine's pass over the shared prefix alone (a miss). */
const isPrefixPass = (row: ForwardRow) =>
  row.past === undefined && row.inputIds.length === SHARED && row.keep?.[0]?.[1] === SHARED;

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

// The shared prefix: 12 positions, an "image" of 6 feature rows spliced at 3..8.
const SHARED = 12;
const prefixIds = [4, 5, 6, 7, 7, 7, 7, 7, 7, 8, 9, 10];
const questionA = [40, 41, 42, 43, 44];
const questionB = [50, 51, 52, 53, 54, 55, 56, 57, 58];
const ANSWER = 8;

describe('the cross-request prefix cache against a reference computation (converted tiny LLaDA)', () => {
  let bundle: Bundle;
  let weights: ReferenceWeights;
  let reference: (prefixAlone?: number) => ReferenceLlada;
  let image: SplicedEmbeddings[];

  before(async () => {
    bundle = await loadBundle(FIXTURE, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    const config = JSON.parse(readFileSync(`${FIXTURE}checkpoint-config.json`, 'utf8'));
    const layers = config.n_layers as number;
    weights = readLladaWeights(`${FIXTURE}checkpoint.safetensors`, layers);
    const referenceConfig = {
      hidden: config.d_model,
      heads: config.n_heads,
      kvHeads: config.n_kv_heads,
      layers,
      vocab: config.vocab_size,
      ropeTheta: config.rope_theta,
      rmsNormEps: config.rms_norm_eps,
    };
    reference = (prefixAlone) =>
      new ReferenceLlada(weights, referenceConfig, bundle.model.info, prefixAlone === undefined ? {} : { prefixAlone });
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32 - 0.5;
    };
    const H = bundle.model.info.hiddenSize;
    image = [{ offset: 3, count: 6, data: Float32Array.from({ length: 6 * H }, () => next()) }];
  });
  after(async () => bundle?.close());

  const mask = () => bundle.model.info.maskTokenId;
  /** A full row over prompt + masked answer, no cache. */
  const fullRow = (promptIds: number[], logitsIndices: number[]): ForwardRow => {
    const ids = [...promptIds, ...Array<number>(ANSWER).fill(mask())];
    return {
      inputIds: ids,
      positionIds: ids.map((_, i) => i),
      embeddings: image,
      logitsIndices,
    };
  };
  const answerRows = (promptIds: number[]) => Array.from({ length: ANSWER }, (_, a) => promptIds.length + a);
  const request = (question: number[], extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
    promptIds: [...prefixIds, ...question],
    embeddings: image,
    maxTokens: ANSWER,
    strategy: { name: 'low_confidence', steps: ANSWER },
    cache: 'none',
    sharedPrefix: SHARED,
    ...extra,
  });

  it('the reference is the converted model: a full forward agrees at every position (the anchor)', async () => {
    const prompt = [...prefixIds, ...questionA];
    const every = Array.from({ length: prompt.length + ANSWER }, (_, i) => i);
    const [onnx] = await bundle.model.forward([fullRow(prompt, every)]);
    const [ours] = await reference().forward([fullRow(prompt, every)]);
    assert.ok(maxDifference(onnx!.logits, ours!.logits) < TOLERANCE, `${maxDifference(onnx!.logits, ours!.logits)}`);
  });

  it('one forward: the first pass after the prefix equals the reference with the prefix attending to itself alone', async () => {
    const model = new Recording(bundle.model);
    const engine = new DecodingEngine(model, { prefixCache: new PrefixCache(1 << 20) });
    for (const [question, hit] of [
      [questionA, false],
      [questionB, true], // a longer prompt reusing the first request's prefix
    ] as const) {
      const before = model.calls.length;
      const result = await engine.generate(request(question)).result;
      assert.deepEqual(result.sharedPrefix, { length: SHARED, hit });
      const calls = model.calls.slice(before);
      if (!hit) {
        const [prefixPass] = calls.shift()!.rows;
        assert.deepEqual(Array.from(prefixPass!.positionIds), [...Array(SHARED).keys()]);
      }
      const { rows, results } = calls[0]!;
      const prompt = [...prefixIds, ...question];
      assert.equal(rows[0]!.past?.length, SHARED);
      assert.equal(rows[0]!.positionIds[0], SHARED, 'rotary positions continue after the prefix');
      const [expected] = await reference(SHARED).forward([fullRow(prompt, answerRows(prompt))]);
      const [full] = await reference().forward([fullRow(prompt, answerRows(prompt))]);
      const difference = maxDifference(results[0]!.logits, expected!.logits);
      assert.ok(difference < TOLERANCE, `cached pass against the prefix-alone reference: ${difference}`);
      assert.ok(
        maxDifference(expected!.logits, full!.logits) > 100 * TOLERANCE,
        'the two semantics differ, so agreeing with one of them means something',
      );
    }
  });

  it('one batched forward: rows of different lengths, with and without the shared prefix, each equal their reference', async () => {
    const model = new Recording(bundle.model);
    const engine = new DecodingEngine(model, { prefixCache: new PrefixCache(1 << 20), maxBatchSize: 4 });
    const plain = [60, 61, 62, 63, 64, 65, 66];
    const runs = [
      engine.generate(request(questionA)),
      engine.generate(request(questionB)),
      engine.generate({ ...request([]), promptIds: plain, embeddings: [], sharedPrefix: 0 }),
    ];
    await Promise.all(runs.map((r) => r.result));
    const batched = model.calls.find((c) => c.rows.length === 3)!;
    assert.ok(batched, 'the three requests shared a pass');
    assert.deepEqual(
      batched.rows.map((r) => [r.past?.length ?? 0, r.inputIds.length]),
      [
        [SHARED, questionA.length + ANSWER],
        [SHARED, questionB.length + ANSWER],
        [0, plain.length + ANSWER],
      ],
    );
    const prompts = [
      [...prefixIds, ...questionA],
      [...prefixIds, ...questionB],
    ];
    for (const [i, prompt] of prompts.entries()) {
      const [expected] = await reference(SHARED).forward([fullRow(prompt, answerRows(prompt))]);
      const difference = maxDifference(batched.results[i]!.logits, expected!.logits);
      assert.ok(difference < TOLERANCE, `row ${i}: ${difference}`);
    }
    const [expected] = await reference().forward([{ ...fullRow(plain, answerRows(plain)), embeddings: [] }]);
    assert.ok(maxDifference(batched.results[2]!.logits, expected!.logits) < TOLERANCE);
  });

  it('whole decodes in one batch (two questions on one prefix, one prompt without it): each gives the reference answer', async () => {
    const model = new Recording(bundle.model);
    const engine = new DecodingEngine(model, { prefixCache: new PrefixCache(1 << 20), maxBatchSize: 4 });
    const strategy = { name: 'low_confidence', steps: 4, block_length: 4 };
    const plain = { ...request([60, 61, 62]), promptIds: [60, 61, 62], embeddings: [], sharedPrefix: 0 };
    const requests = [
      request(questionA, { cache: 'prefix', strategy }),
      request(questionB, { cache: 'prefix', strategy }),
    ];
    const batched = await Promise.all(
      [...requests, { ...plain, cache: 'prefix' as const, strategy }].map((r) => engine.generate(r).result),
    );
    assert.equal(model.calls.filter((c) => c.rows.length === 3).length, 4, 'every step ran the three rows together');
    for (const [i, r] of requests.entries()) {
      const theirs = await new DecodingEngine(reference(SHARED)).generate(r).result;
      assert.deepEqual(batched[i]!.canvas, theirs.canvas, `request ${i}`);
    }
    const theirs = await new DecodingEngine(reference()).generate({ ...plain, cache: 'prefix', strategy }).result;
    assert.deepEqual(batched[2]!.canvas, theirs.canvas);
  });

  for (const cache of ['none', 'prefix'] as const) {
    it(`a whole decode (cache '${cache}', two blocks): the same answer and every pass's logits as the reference`, async () => {
      const model = new Recording(bundle.model);
      const engine = new DecodingEngine(model, { prefixCache: new PrefixCache(1 << 20) });
      const strategy = { name: 'low_confidence', steps: 4, block_length: 4 };
      for (const question of [questionA, questionB]) {
        const before = model.calls.length;
        const ours = await engine.generate(request(question, { cache, strategy })).result;
        // The reference decodes the same request as one model with the prefix-alone rule: no prefix cache, its own keys/values.
        const ref = reference(SHARED);
        const theirs = await new DecodingEngine(ref).generate(request(question, { cache, strategy })).result;
        assert.deepEqual(ours.canvas, theirs.canvas);
        const ourPasses = model.calls.slice(before).filter((c) => !isPrefixPass(c.rows[0]!));
        assert.equal(ourPasses.length, ref.calls.length);
        ourPasses.forEach((pass, i) => {
          const difference = maxDifference(pass.results[0]!.logits, ref.calls[i]![0]!.logits);
          assert.ok(difference < TOLERANCE, `pass ${i}: ${difference}`);
        });
      }
    });
  }
});

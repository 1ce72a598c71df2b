import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnmaskError } from '../errors.js';
import { runChain } from './graph-chain.js';
import type { GraphIO, GraphRunner, TensorData } from './graph-runner.js';
import { batchGeometry, lmFeeds } from './lm-batch.js';
import type { LmShape, WireLmRow } from './worker-protocol.js';
import { OnnxWorkerPool } from './worker-pool.js';
import type { OnnxSession } from './onnx-session.js';

const fixture = (file: string) => fileURLToPath(new URL(`../../test-fixtures/tiny-bundle/${file}`, import.meta.url));
const shape: LmShape = {
  numLayers: 2,
  numKeyValueHeads: 2,
  headDim: 8,
  hiddenSize: 32,
  vocabSize: 64,
  padTokenId: 0,
  mrope: false,
};

/** The LM graph's feeds other than inputs_embeds, for one row of `ids` without a cache. */
function lmExtras(ids: number[]): Record<string, TensorData> {
  const row: WireLmRow = {
    inputIds: Int32Array.from(ids),
    positionIds: Int32Array.from(ids, (_, i) => i),
    embeddings: [],
    logitsIndices: Int32Array.from(ids, (_, i) => i),
  };
  return lmFeeds([row], [undefined], batchGeometry([row], [undefined]), shape);
}

const inputIds = (ids: number[]): TensorData => ({
  type: 'int64',
  dims: [1, ids.length],
  data: BigInt64Array.from(ids, BigInt),
});

describe('runChain: graphs fed one from the other', () => {
  let pool: OnnxWorkerPool;
  let embed: OnnxSession;
  let lm: OnnxSession;
  let elsewhere: OnnxSession;
  before(async () => {
    pool = new OnnxWorkerPool({ size: 2, sessionOptions: { intraOpNumThreads: 1 } });
    embed = await pool.createSession(fixture('embed.onnx'), { worker: 0 });
    lm = await pool.createSession(fixture('lm.onnx'), { worker: 0 });
    elsewhere = await pool.createSession(fixture('lm.onnx'), { worker: 1 });
  });
  after(() => pool.close());

  it('runs a chain of one worker’s graphs as one request and returns only the last graph’s outputs', async () => {
    const ids = [5, 9, 2, 7];
    const embedded = await embed.run({ input_ids: inputIds(ids) }, ['inputs_embeds']);
    const separate = await lm.run({ ...lmExtras(ids), inputs_embeds: embedded.inputs_embeds! }, ['logits']);
    const chained = await runChain([
      { graph: embed, label: 'embed', feeds: { input_ids: inputIds(ids) }, outputs: ['inputs_embeds'] },
      { graph: lm, label: 'lm', feeds: lmExtras(ids), from: { inputs_embeds: 'inputs_embeds' }, outputs: ['logits'] },
    ]);
    assert.deepEqual(Object.keys(chained), ['logits'], 'the intermediate tensor stays in the worker');
    assert.deepEqual(chained.logits, separate.logits);
  });

  it('gives the same result link by link when the graphs sit in different workers', async () => {
    const ids = [3, 4];
    const inWorker = await runChain([
      { graph: embed, label: 'embed', feeds: { input_ids: inputIds(ids) }, outputs: ['inputs_embeds'] },
      { graph: lm, label: 'lm', feeds: lmExtras(ids), from: { inputs_embeds: 'inputs_embeds' }, outputs: ['logits'] },
    ]);
    const across = await runChain([
      { graph: embed, label: 'embed', feeds: { input_ids: inputIds(ids) }, outputs: ['inputs_embeds'] },
      {
        graph: elsewhere,
        label: 'lm',
        feeds: lmExtras(ids),
        from: { inputs_embeds: 'inputs_embeds' },
        outputs: ['logits'],
      },
    ]);
    assert.deepEqual(across.logits, inWorker.logits);
  });

  it('names the graph whose input the previous output does not fit, and the output the worker did not get', async () => {
    const wrongRank: GraphIO = { name: 'inputs_embeds', type: 'float32', dims: ['n'] };
    const inProcess: GraphRunner = { inputs: [wrongRank], outputs: [], run: async () => ({}) };
    const chain = (next: GraphRunner) =>
      runChain([
        { graph: embed, label: 'embed', feeds: { input_ids: inputIds([1, 2]) }, outputs: ['inputs_embeds'] },
        { graph: next, label: 'projector', from: { inputs_embeds: 'inputs_embeds' }, outputs: ['logits'] },
      ]);
    await assert.rejects(
      chain(inProcess),
      (e) => isUnmaskError(e, 'invalid_bundle') && /^projector graph input 'inputs_embeds' has rank 1/.test(e.message),
    );
    await assert.rejects(
      runChain([
        { graph: embed, label: 'embed', feeds: { input_ids: inputIds([1, 2]) }, outputs: ['inputs_embeds'] },
        { graph: lm, label: 'lm', feeds: lmExtras([1, 2]), from: { inputs_embeds: 'nothing' }, outputs: ['logits'] },
      ]),
      (e) => isUnmaskError(e, 'runtime_error') && /returned no 'nothing'/.test(e.message),
    );
  });
});

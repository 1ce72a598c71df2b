import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { isUnmaskError } from '../errors.js';
import { withoutGraphOutputs } from './graph-outputs.js';
import { presentNames } from './lm-batch.js';

const lmGraph = readFileSync(fileURLToPath(new URL('../../test-fixtures/tiny-bundle/lm.onnx', import.meta.url)));
const presents = new Set(presentNames(2));

describe('withoutGraphOutputs: an ONNX model without the outputs a session never fetches', () => {
  it('drops the named outputs and reports them as the file declares them', async () => {
    const { model, dropped } = withoutGraphOutputs(lmGraph, presents);
    assert.deepEqual(dropped.map((io) => io.name).sort(), [...presents].sort());
    for (const io of dropped) {
      assert.equal(io.type, 'float32');
      assert.equal(io.dims.length, 4, `${io.name}: [batch, kv heads, positions, head dim]`);
      assert.equal(io.dims[1], 2);
      assert.equal(io.dims[3], 8);
    }
    const full = await ort.InferenceSession.create(lmGraph);
    const lean = await ort.InferenceSession.create(model);
    assert.deepEqual([...lean.outputNames], ['logits']);
    assert.deepEqual([...lean.inputNames], [...full.inputNames]);
    assert.ok(model.length < lmGraph.length);
  });

  it('gives the same logits as the whole graph', async () => {
    const full = await ort.InferenceSession.create(lmGraph);
    const lean = await ort.InferenceSession.create(withoutGraphOutputs(lmGraph, presents).model);
    const seq = 5;
    const hidden = 32;
    const feeds: Record<string, ort.Tensor> = {};
    for (const meta of full.inputMetadata) {
      if (!meta.isTensor) continue;
      if (meta.name === 'inputs_embeds')
        feeds[meta.name] = new ort.Tensor(
          'float32',
          Float32Array.from({ length: seq * hidden }, (_, i) => Math.sin(i)),
          [1, seq, hidden],
        );
      else if (meta.name.startsWith('past_key_values'))
        feeds[meta.name] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
      else if (meta.name === 'attention_mask')
        feeds[meta.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: seq }, () => 1n),
          [1, seq],
        );
      else if (meta.name === 'position_ids')
        feeds[meta.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: seq }, (_, i) => BigInt(i)),
          [1, seq],
        );
      else if (meta.name === 'logits_indices')
        feeds[meta.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: seq }, (_, i) => BigInt(i)),
          [1, seq],
        );
      else assert.fail(`the fixture has an input this spec does not feed: ${meta.name}`);
    }
    const a = (await full.run(feeds, ['logits'])).logits!.data as Float32Array;
    const b = (await lean.run(feeds)).logits!.data as Float32Array;
    assert.equal(a.length, b.length);
    assert.deepEqual(b, a);
  });

  it('returns the model itself when no output is named, and ignores names it lacks', () => {
    const same = withoutGraphOutputs(lmGraph, new Set(['no.such.output']));
    assert.equal(same.model, lmGraph);
    assert.deepEqual(same.dropped, []);
  });

  it('refuses bytes that are no ONNX model with invalid_bundle', () => {
    for (const bytes of [Uint8Array.of(0x3a, 0x05, 1), Uint8Array.of(0xff, 0xff, 0xff), new Uint8Array(0)])
      assert.throws(
        () => withoutGraphOutputs(bytes, presents),
        (e) => isUnmaskError(e, 'invalid_bundle') && /not a readable ONNX model/.test(e.message),
      );
  });
});

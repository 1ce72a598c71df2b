import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError, type GraphIO, type GraphRunner, type TensorData } from '@unmask/core';
import { createImageProcessor } from './image-processor.js';
import { makeImage, readJson } from './test-support/fixtures.js';
import { VisionEncoder } from './vision-encoder.js';

/** A GraphRunner test double: declared inputs/outputs, a compute function, and a call log. */
class FakeGraph implements GraphRunner {
  readonly calls: Record<string, TensorData>[] = [];
  constructor(
    readonly inputs: readonly GraphIO[],
    readonly outputs: readonly GraphIO[],
    private readonly compute: (feeds: Readonly<Record<string, TensorData>>) => Record<string, TensorData>,
  ) {}
  async run(feeds: Readonly<Record<string, TensorData>>, outputNames?: readonly string[]) {
    this.calls.push({ ...feeds });
    const all = this.compute(feeds);
    return outputNames ? Object.fromEntries(outputNames.map((n) => [n, all[n]!])) : all;
  }
}

/** Qwen-like tower: mean of each group of 4 consecutive patch rows, first `hidden` values. */
function qwenLikeEncoder(hidden: number, rowsPerToken = 4) {
  return new FakeGraph(
    [
      { name: 'pixel_values', type: 'float32', dims: ['patches', 1176] },
      { name: 'image_grid_thw', type: 'int64', dims: [1, 3] },
    ],
    [{ name: 'image_embeds', type: 'float32', dims: ['tokens', hidden] }],
    (feeds) => {
      const pv = feeds.pixel_values!;
      const [rows, width] = pv.dims as [number, number];
      const tokens = rows / rowsPerToken;
      const out = new Float32Array(tokens * hidden);
      for (let t = 0; t < tokens; t++) {
        for (let h = 0; h < hidden; h++) {
          let s = 0;
          for (let r = 0; r < rowsPerToken; r++) s += (pv.data as Float32Array)[(t * rowsPerToken + r) * width + h]!;
          out[t * hidden + h] = s / rowsPerToken;
        }
      }
      return { image_embeds: { type: 'float32', dims: [tokens, hidden], data: out } };
    },
  );
}

const qwenConfig = readJson('hf/qwen2vl/preprocessor_config.json');

describe('VisionEncoder', () => {
  it('feeds pixel_values and image_grid_thw and returns image_embeds [tokens, hidden]', async () => {
    const encoder = qwenLikeEncoder(8);
    const vision = new VisionEncoder({ processor: createImageProcessor(qwenConfig), encoder });
    const image = makeImage(200, 150, (x, y) => [x, y, 0]);
    const out = await vision.encode(image);
    assert.deepEqual(encoder.calls[0]!.pixel_values!.dims, [140, 1176]);
    assert.deepEqual(Array.from(encoder.calls[0]!.image_grid_thw!.data as BigInt64Array, Number), [1, 10, 14]);
    assert.deepEqual(out.image_embeds.dims, [35, 8]);
    assert.deepEqual([out.tokens, out.hidden], [35, 8]);
    assert.equal(vision.featureCount(200, 150), 35);
    assert.deepEqual(out.image_grid_thw, [1, 10, 14]);
  });

  it('passes the encoder output through the projector', async () => {
    const projector = new FakeGraph(
      [{ name: 'image_features', type: 'float32', dims: ['tokens', 8] }],
      [{ name: 'projected', type: 'float32', dims: ['tokens', 16] }],
      (feeds) => {
        const x = feeds.image_features!;
        const [t, h] = x.dims as [number, number];
        // Each row duplicated and doubled: [t, 2h].
        const out = new Float32Array(t * h * 2);
        for (let i = 0; i < t; i++)
          for (let j = 0; j < h; j++)
            out[i * 2 * h + j] = out[i * 2 * h + h + j] = 2 * (x.data as Float32Array)[i * h + j]!;
        return { projected: { type: 'float32', dims: [t, 2 * h], data: out } };
      },
    );
    const encoder = qwenLikeEncoder(8);
    const vision = new VisionEncoder({ processor: createImageProcessor(qwenConfig), encoder, projector });
    const out = await vision.encode(makeImage(56, 56, (x) => [x * 4, 0, 0]));
    const direct = await encoder.run(encoder.calls[0]!, ['image_embeds']);
    assert.deepEqual(out.image_embeds.dims, [4, 16]);
    const d = out.image_embeds.data as Float32Array;
    const e = direct.image_embeds!.data as Float32Array;
    assert.equal(d[0], 2 * e[0]!);
    assert.equal(d[8 + 3], 2 * e[3]!);
  });

  it('adds and removes a batch axis to match a SigLIP-style graph', async () => {
    const encoder = new FakeGraph(
      [{ name: 'pixel_values', type: 'float32', dims: ['batch', 3, 64, 64] }],
      [
        { name: 'last_hidden_state', type: 'float32', dims: ['batch', 16, 4] },
        { name: 'pooler_output', type: 'float32', dims: ['batch', 4] },
      ],
      () => ({
        last_hidden_state: { type: 'float32', dims: [1, 16, 4], data: new Float32Array(64).fill(0.5) },
        pooler_output: { type: 'float32', dims: [1, 4], data: new Float32Array(4) },
      }),
    );
    const vision = new VisionEncoder({
      processor: createImageProcessor(readJson('hf/siglip/preprocessor_config.json')),
      encoder,
    });
    const out = await vision.encode(makeImage(20, 10, () => [1, 2, 3]));
    assert.deepEqual(encoder.calls[0]!.pixel_values!.dims, [1, 3, 64, 64]);
    assert.deepEqual(out.image_embeds.dims, [16, 4]);
  });

  it('refuses a feature count that disagrees with the processor', async () => {
    const vision = new VisionEncoder({ processor: createImageProcessor(qwenConfig), encoder: qwenLikeEncoder(8, 2) });
    await assert.rejects(
      vision.encode(makeImage(56, 56, () => [0, 0, 0])),
      (e: unknown) =>
        isUnmaskError(e, 'runtime_error') &&
        /vision encoder produced 8 feature rows for a 56×56 image; processor Qwen2VLImageProcessor implies 4/.test(
          e.message,
        ),
    );
  });

  it('refuses graphs it cannot feed or read, naming the input or output', () => {
    const processor = createImageProcessor(qwenConfig);
    const bad = (inputs: GraphIO[], outputs: GraphIO[]) => new FakeGraph(inputs, outputs, () => ({}));
    const pv: GraphIO = { name: 'pixel_values', type: 'float32', dims: ['n', 1176] };
    const out: GraphIO = { name: 'a', type: 'float32', dims: ['n', 8] };
    assert.throws(
      () =>
        new VisionEncoder({
          processor,
          encoder: bad([pv, { name: 'attention_mask', type: 'int64', dims: ['n'] }], [out]),
        }),
      /vision encoder graph input 'attention_mask' is not one this runtime feeds/,
    );
    assert.throws(
      () => new VisionEncoder({ processor, encoder: bad([pv], [out, { ...out, name: 'b' }]) }),
      /vision encoder graph has several outputs \(a, b\); name the one to use/,
    );
    assert.throws(
      () => new VisionEncoder({ processor, encoder: bad([pv], [out]), encoderOutput: 'c' }),
      /vision encoder graph has no output 'c' \(outputs: a\)/,
    );
  });

  it('refuses an encoder that needs image_grid_thw behind a processor without one', async () => {
    const encoder = new FakeGraph(
      [
        { name: 'pixel_values', type: 'float32', dims: [1, 3, 96, 96] },
        { name: 'image_grid_thw', type: 'int64', dims: [1, 3] },
      ],
      [{ name: 'image_embeds', type: 'float32', dims: [9, 8] }],
      () => ({}),
    );
    const vision = new VisionEncoder({
      processor: createImageProcessor({ image_processor_type: 'UnmaskImageProcessor' }),
      encoder,
    });
    await assert.rejects(
      vision.encode(makeImage(96, 96, () => [0, 0, 0])),
      /vision encoder graph takes image_grid_thw, but processor UnmaskImageProcessor produces none/,
    );
  });

  it('refuses a pixel_values tensor whose fixed dimensions disagree with the graph', async () => {
    const encoder = new FakeGraph(
      [{ name: 'pixel_values', type: 'float32', dims: [1, 3, 64, 64] }],
      [{ name: 'image_embeds', type: 'float32', dims: [9, 8] }],
      () => ({}),
    );
    const vision = new VisionEncoder({
      processor: createImageProcessor({ image_processor_type: 'UnmaskImageProcessor' }),
      encoder,
    });
    await assert.rejects(
      vision.encode(makeImage(96, 96, () => [0, 0, 0])),
      /graph input 'pixel_values' expects \[1, 3, 64, 64\], got \[1, 3, 96, 96\]/,
    );
  });
});

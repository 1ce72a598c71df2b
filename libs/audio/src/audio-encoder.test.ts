import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError, type GraphIO, type GraphRunner, type TensorData } from '@unmask/core';
import { AudioEncoder } from './audio-encoder.js';
import type { LogMelFeatures } from './log-mel.js';

/** A hand-written GraphRunner: declared inputs/outputs, a function for the outputs, a call log. */
class FakeGraph implements GraphRunner {
  readonly calls: { feeds: Record<string, TensorData>; outputNames?: readonly string[] }[] = [];
  constructor(
    readonly inputs: GraphIO[],
    readonly outputs: GraphIO[],
    private readonly compute: (feeds: Readonly<Record<string, TensorData>>) => Record<string, TensorData>,
  ) {}
  async run(
    feeds: Readonly<Record<string, TensorData>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, TensorData>> {
    this.calls.push({ feeds: { ...feeds }, ...(outputNames ? { outputNames } : {}) });
    const all = this.compute(feeds);
    return Object.fromEntries(Object.entries(all).filter(([name]) => !outputNames || outputNames.includes(name)));
  }
}

const f32 = (name: string, dims: (number | string)[]): GraphIO => ({ name, type: 'float32', dims });
const HIDDEN = 4;

/** Encoder: frames halved; hidden state i of frame t = i + sum of the two frames' features. */
function fakeEncoder(mels: number | string = 8) {
  const outputs = ['hidden_states.1', 'hidden_states.2', 'last_hidden_state'];
  return new FakeGraph(
    [f32('input_features', [1, mels, 'frames'])],
    outputs.map((n) => f32(n, [1, 'positions', HIDDEN])),
    (feeds) => {
      const input = feeds.input_features!;
      const [, m, frames] = input.dims as [number, number, number];
      const data = input.data as Float32Array;
      const positions = frames / 2;
      return Object.fromEntries(
        outputs.map((name, layer) => {
          const out = new Float32Array(positions * HIDDEN);
          for (let p = 0; p < positions; p++) {
            let sum = 0;
            for (let k = 0; k < m; k++) sum += data[k * frames + 2 * p]! + data[k * frames + 2 * p + 1]!;
            for (let h = 0; h < HIDDEN; h++) out[p * HIDDEN + h] = layer + sum;
          }
          return [name, { type: 'float32', dims: [1, positions, HIDDEN], data: out } satisfies TensorData];
        }),
      );
    },
  );
}

/** Adapter: semantic tokens from the last layer, then acoustic tokens from layer 1 and 2 summed (first value of each position). */
function fakeAdapter() {
  return new FakeGraph(
    [
      f32('last_hidden_state', [1, 'positions', HIDDEN]),
      f32('hidden_states.1', [1, 'positions', HIDDEN]),
      f32('hidden_states.2', [1, 'positions', HIDDEN]),
    ],
    [f32('audio_embeds', [1, 'tokens', 1])],
    (feeds) => {
      const last = feeds.last_hidden_state!.data as Float32Array;
      const a = feeds['hidden_states.1']!.data as Float32Array;
      const b = feeds['hidden_states.2']!.data as Float32Array;
      const positions = last.length / HIDDEN;
      const out = new Float32Array(2 * positions);
      for (let p = 0; p < positions; p++) {
        out[p] = last[p * HIDDEN]!;
        out[positions + p] = a[p * HIDDEN]! + b[p * HIDDEN]!;
      }
      return { audio_embeds: { type: 'float32', dims: [1, 2 * positions, 1], data: out } };
    },
  );
}

const features = (mels: number, frames: number): LogMelFeatures => ({
  input_features: Float32Array.from({ length: mels * frames }, (_, i) => (i % frames) / 10),
  dims: [mels, frames],
});

describe('AudioEncoder: encoder graph then DIFFA dual-adapter graph', () => {
  it('feeds input_features as [1, mels, frames], asks the encoder only for what the adapter takes, and returns audio_embeds', async () => {
    const encoder = fakeEncoder();
    const adapter = fakeAdapter();
    const result = await new AudioEncoder({ encoder, adapter }).encode(features(8, 6));
    const call = encoder.calls[0]!;
    assert.deepEqual(call.feeds.input_features!.dims, [1, 8, 6]);
    assert.deepEqual([...call.outputNames!].sort(), ['hidden_states.1', 'hidden_states.2', 'last_hidden_state']);
    assert.deepEqual(Object.keys(adapter.calls[0]!.feeds).sort(), [
      'hidden_states.1',
      'hidden_states.2',
      'last_hidden_state',
    ]);
    // Frame pair sums over 8 mels: (0 + 0.1)·8, (0.2 + 0.3)·8, (0.4 + 0.5)·8 = 0.8, 4, 7.2.
    assert.equal(result.tokens, 6);
    assert.equal(result.hidden, 1);
    // Semantic tokens: last_hidden_state = 2 + sum; acoustic: (0 + sum) + (1 + sum).
    const expected = [2.8, 6, 9.2, 2.6, 9, 15.4];
    expected.forEach((e, i) =>
      assert.ok(Math.abs(result.audio_embeds[i]! - e) < 1e-5, `token ${i}: ${result.audio_embeds[i]} vs ${e}`),
    );
  });

  it('refuses graphs that do not fit together, naming the tensor', () => {
    const adapter = fakeAdapter();
    const noInput = new FakeGraph([f32('mel', [1, 8, 'frames'])], fakeEncoder().outputs, () => ({}));
    assert.throws(
      () => new AudioEncoder({ encoder: noInput, adapter }),
      (e) => isUnmaskError(e, 'invalid_bundle') && /no input "input_features" \(inputs: mel\)/.test(e.message),
    );
    const fewer = new FakeGraph(fakeEncoder().inputs, [f32('last_hidden_state', [1, 'p', HIDDEN])], () => ({}));
    assert.throws(
      () => new AudioEncoder({ encoder: fewer, adapter }),
      (e) =>
        isUnmaskError(e, 'invalid_bundle') &&
        e.message ===
          'audio adapter graph input "hidden_states.1" is neither an output of the encoder graph (outputs: last_hidden_state) nor one of feature_frames',
    );
    assert.throws(
      () => new AudioEncoder({ encoder: fakeEncoder(), adapter, outputName: 'embeds' }),
      (e) => isUnmaskError(e, 'invalid_bundle') && /no output "embeds"/.test(e.message),
    );
  });

  it('feeds feature_frames [1] (int64) from the features when the adapter graph declares that input, and refuses features without it', async () => {
    const base = fakeAdapter();
    const adapter = new FakeGraph(
      [...base.inputs, { name: 'feature_frames', type: 'int64', dims: [1] }],
      base.outputs,
      (feeds) => {
        const frames = Number((feeds.feature_frames!.data as BigInt64Array)[0]);
        return { audio_embeds: { type: 'float32', dims: [1, 1, 1], data: Float32Array.of(frames) } };
      },
    );
    const encoder = fakeEncoder();
    const audio = new AudioEncoder({ encoder, adapter });
    const result = await audio.encode({ ...features(8, 6), feature_frames: 5 });
    assert.deepEqual(adapter.calls[0]!.feeds.feature_frames, { type: 'int64', dims: [1], data: BigInt64Array.of(5n) });
    assert.deepEqual([...result.audio_embeds], [5]);
    assert.ok(!encoder.calls[0]!.outputNames!.includes('feature_frames'), 'feature_frames is not asked of the encoder');
    await assert.rejects(
      audio.encode(features(8, 6)),
      (e) =>
        isUnmaskError(e, 'runtime_error') &&
        /takes "feature_frames", but the log-mel features carry no frame count/.test(e.message),
    );
  });

  it('refuses features whose mel count differs from the encoder input', async () => {
    const audio = new AudioEncoder({ encoder: fakeEncoder(80), adapter: fakeAdapter() });
    assert.equal(audio.expectedMels, 80);
    await assert.rejects(
      audio.encode(features(128, 4)),
      (e) =>
        isUnmaskError(e, 'invalid_bundle') && /expects 80 mel bins, the feature extractor produced 128/.test(e.message),
    );
  });

  it('reports a malformed adapter output as a runtime error', async () => {
    const bad = new FakeGraph(fakeAdapter().inputs, [f32('audio_embeds', [1, 'tokens', 1])], () => ({
      audio_embeds: { type: 'float32', dims: [2, 3], data: new Float32Array(6) },
    }));
    await assert.rejects(
      new AudioEncoder({ encoder: fakeEncoder(), adapter: bad }).encode(features(8, 4)),
      (e) =>
        isUnmaskError(e, 'runtime_error') &&
        /should be float32 \[1, tokens, hidden\], got float32 \[2, 3\]/.test(e.message),
    );
  });
});

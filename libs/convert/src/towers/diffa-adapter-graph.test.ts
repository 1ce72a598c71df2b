import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool, type TensorData } from '@unmask/core';
import { floats, readReference, relativeError, runGraph } from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { buildDiffaAdapterGraph } from './diffa-adapter-graph.js';
import { diffaAdapterLayout, type DiffaAdapterLayout } from './diffa-adapter-layout.js';

const FIXTURE = fileURLToPath(new URL('../../test-fixtures/diffa-adapter/', import.meta.url));

describe('DIFFA’s dual audio adapter graph (acoustic Q-Former + semantic adapter)', () => {
  const reference = readReference(join(FIXTURE, 'reference.safetensors'));
  // The fixture's Q-Former is smaller than BERT's default feed-forward width of 3072.
  const layout: DiffaAdapterLayout = {
    ...diffaAdapterLayout(JSON.parse(readFileSync(join(FIXTURE, 'checkpoint/config.json'), 'utf8'))),
    qformerIntermediate: 32,
  };
  let pool: OnnxWorkerPool;
  let dir: string;
  let path: string;
  const feeds = (frames: number): Record<string, TensorData> => {
    const out: Record<string, TensorData> = {
      feature_frames: { type: 'int64', dims: [1], data: BigInt64Array.from([BigInt(frames)]) },
    };
    for (const name of ['last_hidden_state', ...layout.taps.map((k) => `hidden_states.${k}`)])
      out[name] = { type: 'float32', dims: [1, 50, 16], data: floats(reference, name) };
    return out;
  };
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-diffa-'));
    path = join(dir, 'audio_adapter.onnx');
    buildDiffaAdapterGraph(layout, CheckpointTensors.open(join(FIXTURE, 'checkpoint'))).write(path);
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the tapped hidden states from whisper_model_id (whisper-tiny: 0, 1, 2, 3; whisper-small: 2, 5, 8, 11)', () => {
    assert.deepEqual(layout.taps, [0, 1, 2, 3]);
    const small = diffaAdapterLayout({
      whisper_config: { d_model: 768, encoder_attention_heads: 12, encoder_layers: 12 },
      llm_config: { d_model: 4096 },
    });
    assert.deepEqual(small.taps, [2, 5, 8, 11]);
    assert.equal(small.promptSize, 64);
  });

  it('matches an independent PyTorch computation of the same adapters within 1e-3 relative (acoustic tokens mixed over the tapped layers, then semantic tokens)', async (t) => {
    const out = await runGraph(pool, path, feeds(73));
    // 73 mel frames → (73 − 1) / 2 + 1 = 37 encoder positions → 36 → 9 semantic tokens after 8 acoustic ones.
    assert.deepEqual(out.audio_embeds!.dims, [1, 17, 24]);
    const { relative, absolute } = relativeError(
      out.audio_embeds!.data as Float32Array,
      floats(reference, 'audio_embeds'),
    );
    t.diagnostic(`audio_embeds: max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)}`);
    assert.ok(relative < 1e-3, `relative error ${relative}`);
  });

  it('makes one semantic token per 4 encoder positions that hold audio', async () => {
    const out = await runGraph(pool, path, feeds(100));
    assert.deepEqual(out.audio_embeds!.dims, [1, 8 + 12, 24]);
    const acoustic = (out.audio_embeds!.data as Float32Array).subarray(0, 8 * 24);
    assert.ok(
      relativeError(acoustic, floats(reference, 'audio_embeds').subarray(0, 8 * 24)).relative < 1e-3,
      'the acoustic tokens do not depend on the length',
    );
  });
});

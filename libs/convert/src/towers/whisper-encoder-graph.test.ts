import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool, type TensorData } from '@unmask/core';
import {
  floats,
  pickRows,
  readReference,
  relativeError,
  runGraph,
  TOWER_FIXTURES,
} from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { buildWhisperEncoderGraph, parseWhisperEncoderConfig } from './whisper-encoder-graph.js';

const CHECKPOINT = join(TOWER_FIXTURES, 'whisper/checkpoint');
const config = () => parseWhisperEncoderConfig(JSON.parse(readFileSync(join(CHECKPOINT, 'config.json'), 'utf8')));

describe('the Whisper encoder graph (DIFFA’s audio tower) on the transformers fixture', () => {
  const reference = readReference(join(TOWER_FIXTURES, 'whisper/reference.safetensors.gz'));
  const rows = reference.get('rows')!.data as BigInt64Array;
  let pool: OnnxWorkerPool;
  let dir: string;
  let outputs: Record<string, TensorData>;
  before(async () => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-whisper-'));
    const path = join(dir, 'audio_encoder.onnx');
    buildWhisperEncoderGraph(config(), CheckpointTensors.open(CHECKPOINT), { hiddenStates: [0, 1, 2, 3] }).write(path);
    const features = floats(reference, 'input_features');
    outputs = await runGraph(pool, path, { input_features: { type: 'float32', dims: [1, 80, 3000], data: features } });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes input_features [1, 80, 3000] to last_hidden_state [1, 1500, 64]', () => {
    assert.deepEqual(outputs.last_hidden_state!.dims, [1, 1500, 64]);
  });

  for (const name of [
    'hidden_states.0',
    'hidden_states.1',
    'hidden_states.2',
    'hidden_states.3',
    'last_hidden_state',
  ]) {
    it(`matches transformers’ ${name} within 1e-3 relative`, (t) => {
      const got = pickRows(outputs[name]!.data as Float32Array, 64, rows);
      const { relative, absolute } = relativeError(got, floats(reference, name));
      t.diagnostic(
        `${name}: max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)} over ${rows.length} rows`,
      );
      assert.ok(relative < 1e-3, `relative error ${relative}`);
    });
  }

  it('outputs only the hidden states asked for, and refuses one that does not exist', async () => {
    const checkpoint = CheckpointTensors.open(CHECKPOINT);
    const path = join(dir, 'two.onnx');
    buildWhisperEncoderGraph(config(), checkpoint, { hiddenStates: [2] }).write(path);
    const session = await pool.createSession(path);
    assert.deepEqual(session.outputs.map((o) => o.name).sort(), ['hidden_states.2', 'last_hidden_state']);
    await session.release();
    assert.throws(
      () => buildWhisperEncoderGraph(config(), checkpoint, { hiddenStates: [4] }),
      /hidden state 4 does not exist: the tuple has entries 0 … 3/,
    );
  });
});

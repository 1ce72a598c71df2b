import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OnnxSession, OnnxWorkerPool } from '@unmask/core';
import { wavToInputFeatures, WhisperFeatureExtractor, whisperFeatureExtractorConfigSchema } from '@unmask/audio';
import { createImageProcessor, decodeImage, parseImageProcessorConfig, VisionEncoder } from '@unmask/vision';
import {
  floats,
  pickRows,
  readReference,
  relativeError,
  runGraph,
  TOWER_FIXTURES,
} from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import type { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { buildQwen2VlVisionGraph, parseQwen2VlVisionConfig } from './qwen2-vl-vision-graph.js';
import { buildSiglipGraph, parseSiglipVisionConfig } from './siglip-graph.js';
import { buildWhisperEncoderGraph, parseWhisperEncoderConfig } from './whisper-encoder-graph.js';

const json = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

describe('converted towers behind the runtime’s own preprocessing, from media file to features', () => {
  let pool: OnnxWorkerPool;
  let dir: string;
  const sessions: OnnxSession[] = [];
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-tower-runtime-'));
  });
  after(async () => {
    for (const session of sessions) await session.release();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function encoderFor(tower: string, graph: OnnxGraphBuilder, image: string): Promise<Float32Array> {
    const path = join(dir, `${tower}.onnx`);
    graph.write(path);
    const session = await pool.createSession(path);
    sessions.push(session);
    const processor = createImageProcessor(
      parseImageProcessorConfig(json(join(TOWER_FIXTURES, tower, 'processor/preprocessor_config.json'))),
    );
    const encoder = new VisionEncoder({ processor, encoder: session });
    const features = await encoder.encode(await decodeImage(readFileSync(join(TOWER_FIXTURES, tower, image))));
    return features.image_embeds.data as Float32Array;
  }

  it('SigLIP: input.png → SiglipImageProcessor → siglip graph gives transformers’ last_hidden_state within 1e-3 relative', async (t) => {
    const checkpoint = join(TOWER_FIXTURES, 'siglip/checkpoint');
    const graph = buildSiglipGraph(
      parseSiglipVisionConfig(json(join(checkpoint, 'config.json'))),
      CheckpointTensors.open(checkpoint),
    );
    const got = await encoderFor('siglip', graph, 'input.png');
    const { relative, absolute } = relativeError(
      got,
      floats(readReference(join(TOWER_FIXTURES, 'siglip/reference.safetensors')), 'last_hidden_state'),
    );
    t.diagnostic(`max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)}`);
    assert.ok(relative < 1e-3, `relative error ${relative}`);
  });

  it('Qwen2.5-VL: input0.png → Qwen2VLImageProcessor (pixel_values, image_grid_thw) → vision graph gives transformers’ vision output within 1e-3 relative', async (t) => {
    const checkpoint = join(TOWER_FIXTURES, 'qwen25vl-vision/checkpoint');
    const graph = buildQwen2VlVisionGraph(
      parseQwen2VlVisionConfig(json(join(checkpoint, 'config.json'))),
      CheckpointTensors.open(checkpoint),
    );
    const got = await encoderFor('qwen25vl-vision', graph, 'input0.png');
    const { relative, absolute } = relativeError(
      got,
      floats(readReference(join(TOWER_FIXTURES, 'qwen25vl-vision/reference.safetensors.gz')), 'vision_output.0'),
    );
    t.diagnostic(`max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)}`);
    assert.ok(relative < 1e-3, `relative error ${relative}`);
  });

  it('Whisper: input.wav → @unmask/audio’s log-mel (80 bins, 30 s) → encoder graph gives transformers’ last_hidden_state within 1e-3 relative', async (t) => {
    const checkpoint = join(TOWER_FIXTURES, 'whisper/checkpoint');
    const path = join(dir, 'audio_encoder.onnx');
    buildWhisperEncoderGraph(
      parseWhisperEncoderConfig(json(join(checkpoint, 'config.json'))),
      CheckpointTensors.open(checkpoint),
    ).write(path);
    const extractor = new WhisperFeatureExtractor(
      whisperFeatureExtractorConfigSchema.parse(
        json(join(TOWER_FIXTURES, 'whisper/feature_extractor_80/preprocessor_config.json')),
      ),
    );
    const features = wavToInputFeatures(readFileSync(join(TOWER_FIXTURES, 'whisper/input.wav')), extractor);
    assert.deepEqual(features.dims, [80, 3000]);
    const out = await runGraph(pool, path, {
      input_features: { type: 'float32', dims: [1, 80, 3000], data: features.input_features },
    });
    const reference = readReference(join(TOWER_FIXTURES, 'whisper/reference.safetensors.gz'));
    const got = pickRows(out.last_hidden_state!.data as Float32Array, 64, reference.get('rows')!.data as BigInt64Array);
    const { relative, absolute } = relativeError(got, floats(reference, 'last_hidden_state'));
    t.diagnostic(`max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)}`);
    assert.ok(relative < 1e-3, `relative error ${relative}`);
  });
});

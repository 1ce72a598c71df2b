import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool } from '@unmask/core';
import { floats, readReference, relativeError, runGraph, TOWER_FIXTURES } from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import {
  buildSiglipGraph,
  LLADA_V_SIGLIP,
  parseSiglipVisionConfig,
  type SiglipOptions,
  SIGLIP_SO400M_PATCH14_384,
  siglipShapes,
} from './siglip-graph.js';

const CHECKPOINT = join(TOWER_FIXTURES, 'siglip/checkpoint');
const config = () => parseSiglipVisionConfig(JSON.parse(readFileSync(join(CHECKPOINT, 'config.json'), 'utf8')));

describe('the SigLIP vision tower graph (LLaDA-V’s) on the transformers fixture', () => {
  const reference = readReference(join(TOWER_FIXTURES, 'siglip/reference.safetensors'));
  let pool: OnnxWorkerPool;
  let dir: string;
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-siglip-'));
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(name: string, options: SiglipOptions): Promise<{ dims: readonly number[]; data: Float32Array }> {
    const path = join(dir, `${name}.onnx`);
    buildSiglipGraph(config(), CheckpointTensors.open(CHECKPOINT), options).write(path);
    const out = await runGraph(pool, path, {
      pixel_values: { type: 'float32', dims: [1, 3, 64, 64], data: floats(reference, 'pixel_values') },
    });
    return { dims: out.last_hidden_state!.dims, data: out.last_hidden_state!.data as Float32Array };
  }

  const cases: [string, SiglipOptions, string][] = [
    ['all layers and the post-LayerNorm give last_hidden_state', {}, 'last_hidden_state'],
    [
      'all layers without the post-LayerNorm give the last entry of hidden_states',
      { postLayerNorm: false },
      'hidden_states.3',
    ],
    [
      'the last layer dropped and no post-LayerNorm (LLaDA-V) give the second-to-last entry of hidden_states',
      LLADA_V_SIGLIP,
      'hidden_states.2',
    ],
  ];
  for (const [title, options, expected] of cases) {
    it(`${title} (${expected}), within 1e-3 relative`, async (t) => {
      const got = await run(expected, options);
      assert.deepEqual(got.dims, [1, 16, 64]);
      const { relative, absolute } = relativeError(got.data, floats(reference, expected));
      t.diagnostic(`${expected}: max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)}`);
      assert.ok(relative < 1e-3, `relative error ${relative}`);
    });
  }

  it('expects so400m’s 27 × 27 positions for 384-pixel images and patch 14 (the convolution drops the last 6 pixels), and no 27th layer when LLaDA-V drops it', () => {
    const so400m = parseSiglipVisionConfig(SIGLIP_SO400M_PATCH14_384);
    const shapes = siglipShapes(so400m, { prefix: 'model.vision_tower.vision_tower.vision_model.', ...LLADA_V_SIGLIP });
    assert.deepEqual(
      shapes.get('model.vision_tower.vision_tower.vision_model.embeddings.position_embedding.weight'),
      [729, 1152],
    );
    assert.ok(shapes.has('model.vision_tower.vision_tower.vision_model.encoder.layers.25.mlp.fc2.weight'));
    assert.ok(!shapes.has('model.vision_tower.vision_tower.vision_model.encoder.layers.26.mlp.fc2.weight'));
    assert.ok(!shapes.has('model.vision_tower.vision_tower.vision_model.post_layernorm.weight'));
  });

  it('refuses to drop every layer', () => {
    assert.throws(
      () => buildSiglipGraph(config(), CheckpointTensors.open(CHECKPOINT), { dropLastLayers: 3 }),
      /dropLastLayers 3: the tower has 3 layers; drop 0 … 2/,
    );
  });
});

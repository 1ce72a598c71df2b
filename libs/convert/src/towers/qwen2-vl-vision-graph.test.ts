import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool } from '@unmask/core';
import { floats, readReference, relativeError, runGraph, TOWER_FIXTURES } from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { buildQwen2VlVisionGraph, parseQwen2VlVisionConfig } from './qwen2-vl-vision-graph.js';

const CHECKPOINT = join(TOWER_FIXTURES, 'qwen25vl-vision/checkpoint');

describe('the Qwen2.5-VL vision tower graph (Dimple’s) on the transformers fixture', () => {
  const reference = readReference(join(TOWER_FIXTURES, 'qwen25vl-vision/reference.safetensors.gz'));
  let pool: OnnxWorkerPool;
  let dir: string;
  let path: string;
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-qwen-vision-'));
    path = join(dir, 'vision.onnx');
    const config = parseQwen2VlVisionConfig(JSON.parse(readFileSync(join(CHECKPOINT, 'config.json'), 'utf8')));
    buildQwen2VlVisionGraph(config, CheckpointTensors.open(CHECKPOINT)).write(path);
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const images: [number, string][] = [
    [0, '10 × 14 patches: 5 × 7 merged units, windows of 4 × 4 units cut short at the bottom and right'],
    [2, '22 × 2 patches: a single column of windows'],
  ];
  for (const [k, what] of images) {
    it(`matches transformers’ vision output for image ${k} (${what}) within 1e-3 relative`, async (t) => {
      const pixels = reference.get(`pixel_values.${k}`)!;
      const grid = reference.get(`image_grid_thw.${k}`)!;
      const expected = reference.get(`vision_output.${k}`)!;
      const out = await runGraph(pool, path, {
        pixel_values: { type: 'float32', dims: pixels.shape, data: pixels.data as Float32Array },
        image_grid_thw: { type: 'int64', dims: grid.shape, data: grid.data as BigInt64Array },
      });
      assert.deepEqual(out.image_features!.dims, expected.shape);
      const { relative, absolute } = relativeError(
        out.image_features!.data as Float32Array,
        floats(reference, `vision_output.${k}`),
      );
      t.diagnostic(`image ${k}: max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)}`);
      assert.ok(relative < 1e-3, `relative error ${relative}`);
    });
  }

  it('treats the temporal frames of a video separately: two copies of image 0 as frames give its output twice', async () => {
    const pixels = reference.get('pixel_values.0')!;
    const twice = new Float32Array(pixels.data.length * 2);
    twice.set(pixels.data as Float32Array);
    twice.set(pixels.data as Float32Array, pixels.data.length);
    const out = await runGraph(pool, path, {
      pixel_values: { type: 'float32', dims: [pixels.shape[0]! * 2, pixels.shape[1]!], data: twice },
      image_grid_thw: { type: 'int64', dims: [1, 3], data: BigInt64Array.from([2n, 10n, 14n]) },
    });
    const expected = floats(reference, 'vision_output.0');
    assert.deepEqual(out.image_features!.dims, [70, 80]);
    const got = out.image_features!.data as Float32Array;
    for (const frame of [0, 1]) {
      const { relative } = relativeError(
        got.subarray(frame * expected.length, (frame + 1) * expected.length),
        expected,
      );
      assert.ok(relative < 1e-3, `frame ${frame}: relative error ${relative}`);
    }
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool, UnmaskError } from '@unmask/core';
import { type StoredTensor, writeSafetensors } from '../../test-support/checkpoint-fixtures.js';
import { relativeError, runGraph } from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import {
  buildMlpProjectorGraph,
  dimpleProjector,
  lladaVProjector,
  type MlpProjectorLayout,
  type ProjectorActivation,
} from './projector-graph.js';

const IN = 6;
const OUT = 5;
const TOKENS = 3;

/** Deterministic values in [−1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough for a 1e-5 check. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

const ACTIVATIONS: Record<ProjectorActivation, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  gelu_pytorch_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
};

/** y = W2 · act(W1 · x + b1) + b2, row by row, in plain arithmetic. */
function byHand(x: Float32Array, t: Map<string, StoredTensor>, layout: MlpProjectorLayout): number[] {
  const [w1, b1, w2, b2] = [
    `${layout.first}.weight`,
    `${layout.first}.bias`,
    `${layout.second}.weight`,
    `${layout.second}.bias`,
  ].map((n) => t.get(n)!.data);
  const out: number[] = [];
  for (let r = 0; r < TOKENS; r++) {
    const hidden = Array.from({ length: OUT }, (_, o) =>
      ACTIVATIONS[layout.activation](
        b1![o]! + Array.from({ length: IN }, (_, i) => w1![o * IN + i]! * x[r * IN + i]!).reduce((a, b) => a + b),
      ),
    );
    for (let o = 0; o < OUT; o++) out.push(b2![o]! + hidden.reduce((sum, h, k) => sum + w2![o * OUT + k]! * h, 0));
  }
  return out;
}

describe('the two-layer MLP projectors (LLaDA-V, Dimple) as projector.onnx', () => {
  let pool: OnnxWorkerPool;
  let dir: string;
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-projector-'));
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function checkpointFor(
    layout: MlpProjectorLayout,
    name: string,
  ): { checkpoint: CheckpointTensors; tensors: Map<string, StoredTensor> } {
    const tensors = new Map<string, StoredTensor>([
      [`${layout.first}.weight`, { dtype: 'F32', shape: [OUT, IN], data: values(OUT * IN, 1) }],
      [`${layout.first}.bias`, { dtype: 'F32', shape: [OUT], data: values(OUT, 2) }],
      [`${layout.second}.weight`, { dtype: 'F32', shape: [OUT, OUT], data: values(OUT * OUT, 3) }],
      [`${layout.second}.bias`, { dtype: 'F32', shape: [OUT], data: values(OUT, 4) }],
      ['model.embed_tokens.weight', { dtype: 'F32', shape: [2, OUT], data: values(2 * OUT, 5) }],
    ]);
    const folder = join(dir, name);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    writeSafetensors(join(folder, 'model.safetensors'), tensors);
    return { checkpoint: CheckpointTensors.open(folder), tensors };
  }

  const layouts: [string, MlpProjectorLayout][] = [
    ['LLaDA-V (model.mm_projector.0 / .2, exact GELU)', lladaVProjector(IN, OUT)],
    ['Dimple (img_projector.linear_1 / linear_2, SiLU from the LM config)', dimpleProjector(IN, OUT, 'silu')],
    ['a tanh-GELU variant', { ...lladaVProjector(IN, OUT), activation: 'gelu_pytorch_tanh' }],
  ];
  for (const [title, layout] of layouts) {
    it(`${title} computes W2 · act(W1 · x + b1) + b2 as worked out by hand`, async () => {
      const { checkpoint, tensors } = checkpointFor(layout, layout.activation);
      const path = join(dir, `${layout.activation}.onnx`);
      buildMlpProjectorGraph(layout, checkpoint).write(path);
      const x = values(TOKENS * IN, 9);
      const out = await runGraph(pool, path, { image_features: { type: 'float32', dims: [TOKENS, IN], data: x } });
      assert.deepEqual(out.image_embeds!.dims, [TOKENS, OUT]);
      const { absolute } = relativeError(out.image_embeds!.data as Float32Array, byHand(x, tensors, layout));
      assert.ok(absolute < 1e-5, `max abs difference ${absolute}`);
    });
  }

  it('names a projector tensor whose shape does not fit the tower and LM widths', () => {
    const { checkpoint } = checkpointFor(lladaVProjector(IN, OUT), 'wrong');
    assert.throws(
      () => buildMlpProjectorGraph(lladaVProjector(IN + 1, OUT), checkpoint),
      (error: unknown) =>
        error instanceof UnmaskError &&
        error.param === 'model.mm_projector.0.weight' &&
        /has shape \[5, 6\], config\.json implies \[5, 7\]/.test(error.message),
    );
  });
});

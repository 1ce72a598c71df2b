import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool } from '@unmask/core';
import { type InitializerSource, OnnxGraphBuilder } from './onnx-graph-builder.js';

/** A float initializer whose bytes arrive in chunks of `chunk` floats. */
function chunked(dims: number[], values: Float32Array, chunk: number): InitializerSource {
  return {
    dataType: 'FLOAT',
    dims,
    byteLength: values.byteLength,
    produce(write) {
      for (let i = 0; i < values.length; i += chunk)
        write(new Uint8Array(values.buffer, i * 4, Math.min(chunk, values.length - i) * 4));
    },
  };
}

/** y = x · Wᵀ + b for x [batch, 3], W [4, 3] (Gemm transB), then Relu. */
function buildGemmRelu(weights: Float32Array, bias: Float32Array): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('gemm_relu');
  const x = g.input('x', 'FLOAT', ['batch', 3]);
  const w = g.initializer('w', chunked([4, 3], weights, 5));
  const b = g.initializer('b', chunked([4], bias, 4));
  const y = g.op('Gemm', [x, w, b], { transB: 1, alpha: { float: 1 } });
  g.output(g.op('Relu', [y], {}, 'y'), 'FLOAT', ['batch', 4]);
  return g;
}

function expected(x: number[], weights: Float32Array, bias: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / 3; r++) {
    for (let o = 0; o < 4; o++) {
      let sum = bias[o]!;
      for (let i = 0; i < 3; i++) sum += x[r * 3 + i]! * weights[o * 3 + i]!;
      out.push(Math.max(0, sum));
    }
  }
  return out;
}

describe('OnnxGraphBuilder', () => {
  let pool: OnnxWorkerPool;
  let dir: string;
  const weights = Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2.5);
  const bias = Float32Array.from([0.5, -1, 2, 0]);
  const x = [1, 2, 3, -1, 0.5, 4];
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-graph-'));
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(path: string): Promise<number[]> {
    const session = await pool.createSession(path);
    try {
      const out = await session.run({ x: { type: 'float32', dims: [2, 3], data: Float32Array.from(x) } });
      assert.deepEqual(out.y!.dims, [2, 4]);
      return Array.from(out.y!.data as Float32Array);
    } finally {
      await session.release();
    }
  }

  it('writes a model onnxruntime loads and runs, with weights streamed in chunks into the file', async () => {
    const path = join(dir, 'inline.onnx');
    const written = buildGemmRelu(weights, bias).write(path);
    assert.equal(written.externalData, undefined);
    assert.equal(written.initializerBytes, 64);
    assert.equal(existsSync(`${path}.data`), false);
    const got = await run(path);
    expected(x, weights, bias).forEach((value, i) =>
      assert.ok(Math.abs(got[i]! - value) < 1e-5, `y[${i}] = ${got[i]}, expected ${value}`),
    );
  });

  it('puts weights in an aligned external data file when they exceed the threshold, and onnxruntime reads them', async () => {
    const path = join(dir, 'external.onnx');
    const written = buildGemmRelu(weights, bias).write(path, { externalDataThreshold: 32, externalMinBytes: 16 });
    assert.equal(written.externalData, 'external.onnx.data');
    // w (48 bytes) at offset 0, b (16 bytes) at the next 4096-byte boundary.
    assert.equal(statSync(`${path}.data`).size, 4096 + 16);
    const data = new Float32Array(readFileSync(`${path}.data`).buffer.slice(4096, 4096 + 16));
    assert.deepEqual(Array.from(data), Array.from(bias));
    const got = await run(path);
    expected(x, weights, bias).forEach((value, i) =>
      assert.ok(Math.abs(got[i]! - value) < 1e-5, `y[${i}] = ${got[i]}, expected ${value}`),
    );
  });

  it('refuses a source that produces a different number of bytes than it declared', () => {
    const g = new OnnxGraphBuilder('short');
    const x = g.input('x', 'FLOAT', [2]);
    g.initializer('w', { dataType: 'FLOAT', dims: [2], byteLength: 8, produce: (write) => write(new Uint8Array(4)) });
    g.output(g.op('Add', [x, 'w'], {}, 'y'), 'FLOAT', [2]);
    assert.throws(() => g.write(join(dir, 'short.onnx')), /initializer w: its source produced 4 bytes, expected 8/);
  });

  it('refuses a name used twice', () => {
    const g = new OnnxGraphBuilder('twice');
    g.input('x', 'FLOAT', [2]);
    assert.throws(() => g.floats('x', [1, 2]), /the name "x" is used twice/);
  });
});

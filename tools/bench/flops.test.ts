import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lmCost } from './flops.js';
import { MATMUL_GRAPH } from './matmul-rate.js';
import { matmulWeights } from './onnx-weights.js';

const TINY = fileURLToPath(new URL('../../libs/core/test-fixtures/tiny-bundle/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${TINY}manifest.json`, 'utf8'));

describe('counting an LM forward pass', () => {
  it('finds every weight matrix of the tiny LM graph, the LM head last', () => {
    const weights = matmulWeights(`${TINY}lm.onnx`);
    // Per layer: q, k, v, o, gate, up, down; then the head.
    assert.equal(weights.length, 2 * 7 + 1);
    assert.deepEqual(weights.at(-1)?.dims, [32, 64]);
  });

  it('finds no weight matrix in a MatMul of two inputs', () => {
    assert.deepEqual(matmulWeights(MATMUL_GRAPH), []);
  });

  it('recovers the MLP width of the tiny model (64) from the graph and the manifest sizes', () => {
    const cost = lmCost(`${TINY}lm.onnx`, manifest.sizes);
    // L·(H·(A + 2K)·D + A·D·H + 3·H·I) with L=2, H=32, A=4, K=2, D=8, I=64.
    assert.equal(cost.layerWeights, 2 * (32 * 8 * 8 + 32 * 32 + 3 * 32 * 64));
    assert.equal(cost.intermediateSize, 64);
  });

  it('counts layers per position, attention per query-key pair and the head per requested logit', () => {
    const cost = lmCost(`${TINY}lm.onnx`, manifest.sizes);
    const W = cost.layerWeights;
    assert.equal(cost.flops(10, 0, 0), 2 * 10 * W + 4 * 2 * 10 * 10 * 4 * 8);
    assert.equal(cost.flops(4, 6, 2), 2 * 4 * W + 4 * 2 * 4 * 10 * 4 * 8 + 2 * 2 * 32 * 64);
  });
});

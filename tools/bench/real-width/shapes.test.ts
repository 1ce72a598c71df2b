import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SHAPES, forwardFlops, layerWeights, parameters } from './shapes.js';

describe('the real-width shapes', () => {
  it('give the published parameter counts at full depth (LLaDA-8B 8.02 B, Dream-7B 7.62 B)', () => {
    const llada = parameters(SHAPES.llada, SHAPES.llada.fullLayers);
    const dream = parameters(SHAPES.dream, SHAPES.dream.fullLayers);
    assert.ok(Math.abs(llada - 8.02e9) < 0.01e9, `LLaDA ${llada}`);
    assert.ok(Math.abs(dream - 7.62e9) < 0.01e9, `Dream ${dream}`);
  });

  it('count a layer as q, k, v, o and the three MLP matrices', () => {
    assert.equal(layerWeights(SHAPES.llada), 4 * 4096 * 4096 + 3 * 4096 * 12288);
    assert.equal(layerWeights(SHAPES.dream), 2 * 3584 * 3584 + 2 * 3584 * 512 + 3 * 3584 * 18944);
  });

  it('count a forward as q/k/v and attention on every position, o and MLP on every position but in the last layer, the head on the logit rows', () => {
    const s = SHAPES.llada;
    const S = 256;
    const qkv = 3 * 4096 * 4096;
    const rest = 4096 * 4096 + 3 * 4096 * 12288;
    const attention = 4 * S * S * 32 * 128;
    const expected = 2 * (2 * S * qkv + attention) + 2 * rest * (S + 32) + 2 * 32 * 4096 * 126464;
    assert.equal(forwardFlops(s, 2, S, 32), expected);
    const short = 2 * (2 * 16 * qkv + 4 * 16 * 16 * 32 * 128) + 2 * rest * (16 + 16) + 2 * 16 * 4096 * 126464;
    assert.equal(forwardFlops(s, 2, 16, 32), short, 'fewer positions than logit rows: every position is a logit row');
  });
});

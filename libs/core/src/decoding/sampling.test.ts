import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from './random.js';
import { samplingOptionsSchema } from '../options/sampling-options.js';
import { argmax, filterCandidates, sampleToken } from './sampling.js';
import { scorePosition } from './confidence.js';
import { transferSchedule } from './schedule.js';

const options = (o: object) => samplingOptionsSchema.parse(o);

describe('sampling', () => {
  const logits = Float32Array.from([1, 3, 2, 0.5]);

  it('temperature 0 is argmax (first index on ties)', () => {
    assert.equal(sampleToken(logits, 0, 4, options({}), new Random(1)), 1);
    assert.equal(argmax([2, 5, 5]), 1);
  });

  it('a seed makes sampling reproducible; another seed may differ', () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, 0, 4, options({ temperature: 1 }), r));
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  it('Gumbel-max sampling follows the softmax distribution (float64 noise)', () => {
    const r = new Random(3);
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, 0, 4, options({ temperature: 1 }), r)]! += 1;
    const z = [1, 3, 2, 0.5].reduce((a, v) => a + Math.exp(v), 0);
    counts.forEach((c, i) =>
      assert.ok(Math.abs(c / n - Math.exp([1, 3, 2, 0.5][i]!) / z) < 0.015, `token ${i}: ${c / n}`),
    );
  });

  it('a high temperature flattens the distribution, a low one sharpens it', () => {
    const share = (temperature: number) => {
      const r = new Random(5);
      let top = 0;
      for (let i = 0; i < 4000; i++) if (sampleToken(logits, 0, 4, options({ temperature }), r) === 1) top += 1;
      return top / 4000;
    };
    assert.ok(share(0.2) > share(1) && share(1) > share(5));
  });

  it('top-k keeps the k largest logits; top-p the smallest prefix reaching p', () => {
    const scaled = Float64Array.from([1, 3, 2, 0.5]);
    assert.deepEqual(filterCandidates(scaled, 2), [1, 2]);
    assert.deepEqual(filterCandidates(scaled, undefined, 0.5), [1]); // p(3) ≈ 0.61
    assert.deepEqual(filterCandidates(scaled, undefined, 0.9), [1, 2, 0]);
    const r = new Random(9);
    for (let i = 0; i < 200; i++) assert.equal(sampleToken(logits, 0, 4, options({ temperature: 2, top_k: 1 }), r), 1);
  });

  it('reads a row at an offset of a batched logits array', () => {
    const two = Float32Array.from([9, 0, 0, 0, 0, 0, 7, 0]);
    assert.equal(sampleToken(two, 4, 4, options({}), new Random(1)), 2);
  });

  it('rejects out-of-range options', () => {
    assert.equal(samplingOptionsSchema.safeParse({ temperature: -1 }).success, false);
    assert.equal(samplingOptionsSchema.safeParse({ top_p: 0 }).success, false);
    assert.equal(samplingOptionsSchema.safeParse({ top_k: 0 }).success, false);
  });
});

describe('confidence scores', () => {
  it('gives probability, margin, exp(−entropy) and the logit gap', () => {
    const s = scorePosition(Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1)]), 0, 3, 0);
    assert.ok(Math.abs(s.probability - 0.7) < 1e-6);
    assert.ok(Math.abs(s.margin - 0.5) < 1e-6);
    const entropy = -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1));
    assert.ok(Math.abs(s.negEntropy - Math.exp(-entropy)) < 1e-6);
    assert.ok(Math.abs(s.logitGap - Math.log(3.5)) < 1e-6);
  });
});

describe('transfer schedule', () => {
  it('splits masks evenly with the remainder on the first steps (LLaDA)', () => {
    assert.deepEqual(transferSchedule(10, 4), [3, 3, 2, 2]);
    assert.deepEqual(transferSchedule(4, 4), [1, 1, 1, 1]);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from './random.js';
import { samplingOptionsSchema } from '../options/sampling-options.js';
import { argmax, chooseToken, filteredLogits, type ResolvedSampling as SamplingOptions } from './sampling.js';
import { logitGap, scoreDistribution } from './confidence.js';
import { scoreRow, type ScoringOptions } from './position-scoring.js';
import {
  epsTimesteps,
  epsTransferCount,
  epsTransferProbability,
  reanchoredTransferCount,
  transferSchedule,
} from './schedule.js';

const LOGITS = Float32Array.from([1, 3, 2, 0.5]);
const sample = (logits: Float32Array, options: SamplingOptions, random = new Random(1), banned: number[] = []) =>
  chooseToken(filteredLogits(logits, options), options.temperature, random, banned);

describe('sampling', () => {
  it('temperature 0 is argmax (first index on ties); banned ids are never chosen', () => {
    assert.equal(sample(LOGITS, { temperature: 0 }), 1);
    assert.equal(argmax([2, 5, 5]), 1);
    assert.equal(sample(LOGITS, { temperature: 0 }, new Random(1), [1]), 2);
  });

  it('a seed makes sampling reproducible; another seed may differ', () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 50 }, () => sample(LOGITS, { temperature: 1 }, r));
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  it('Gumbel-max sampling follows the softmax distribution (float64 noise)', () => {
    const r = new Random(3);
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sample(LOGITS, { temperature: 1 }, r)]! += 1;
    const z = [1, 3, 2, 0.5].reduce((a, v) => a + Math.exp(v), 0);
    counts.forEach((c, i) =>
      assert.ok(Math.abs(c / n - Math.exp([1, 3, 2, 0.5][i]!) / z) < 0.015, `token ${i}: ${c / n}`),
    );
  });

  it('a high temperature flattens the distribution, a low one sharpens it', () => {
    const share = (temperature: number) => {
      const r = new Random(5);
      let top = 0;
      for (let i = 0; i < 4000; i++) if (sample(LOGITS, { temperature }, r) === 1) top += 1;
      return top / 4000;
    };
    assert.ok(share(0.2) > share(1) && share(1) > share(5));
  });

  it("filters as Dream's sample_tokens: scale, then top-p (keeping the token that crosses p), then top-k (ties kept)", () => {
    const kept = (o: SamplingOptions, row = LOGITS) =>
      Array.from(filteredLogits(row, o)).flatMap((v, i) => (v === -Infinity ? [] : [i]));
    // softmax(1, 3, 2, 0.5) ≈ 0.09, 0.63, 0.23, 0.05 (token 1, then 2, then 0)
    assert.deepEqual(kept({ temperature: 0, top_p: 0.5 }), [1]);
    assert.deepEqual(kept({ temperature: 0, top_p: 0.7 }), [1, 2]); // 0.63 < 0.7: token 2 crosses and is kept
    assert.deepEqual(kept({ temperature: 0, top_p: 0.9 }), [0, 1, 2]);
    assert.deepEqual(kept({ temperature: 0, top_k: 2 }), [1, 2]);
    assert.deepEqual(kept({ temperature: 0, top_k: 2 }, Float32Array.from([1, 3, 2, 2])), [1, 2, 3]);
    // top-p before top-k: p = 0.9 keeps three, then k = 2 keeps two
    assert.deepEqual(kept({ temperature: 0, top_p: 0.9, top_k: 2 }), [1, 2]);
    const scaled = filteredLogits(LOGITS, { temperature: 2 });
    assert.deepEqual(Array.from(scaled), [0.5, 1.5, 1, 0.25]);
    const r = new Random(9);
    for (let i = 0; i < 200; i++) assert.equal(sample(LOGITS, { temperature: 2, top_k: 1 }, r), 1);
  });

  it('rejects out-of-range options', () => {
    assert.equal(samplingOptionsSchema.safeParse({ temperature: -1 }).success, false);
    assert.equal(samplingOptionsSchema.safeParse({ top_p: 0 }).success, false);
    assert.equal(samplingOptionsSchema.safeParse({ top_k: -1 }).success, false);
    assert.equal(samplingOptionsSchema.safeParse({ top_k: 0 }).success, true); // off
  });
});

describe('confidence', () => {
  it('gives probability, margin, exp(−entropy), Dream’s raw Σ p·log(p + 1e-10) and the logit gap', () => {
    const row = Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1)]);
    const s = scoreDistribution(row, 0);
    assert.ok(Math.abs(s.probability - 0.7) < 1e-6);
    assert.ok(Math.abs(s.margin - 0.5) < 1e-6);
    const entropy = -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1));
    assert.ok(Math.abs(s.negEntropy - Math.exp(-entropy)) < 1e-6);
    assert.ok(Math.abs(s.entropy + entropy) < 1e-6);
    assert.ok(Math.abs(logitGap(row) - Math.log(3.5)) < 1e-6);
  });

  const scoring = (o: Partial<ScoringOptions>): ScoringOptions => ({
    sampling: { temperature: 0 },
    measure: 'probability',
    useOriginalConfidence: true,
    banned: [],
    confidenceExcluded: [],
    ...o,
  });

  it('keeps every logit in the softmax, the banned mask included; the mask is never the token', () => {
    // The mask (id 3) has the largest logit: the token is the next best, its probability counts the mask.
    const row = Float32Array.from([Math.log(0.3), Math.log(0.1), Math.log(0.1), Math.log(0.5)]);
    const { token, confidence } = scoreRow(row, scoring({ banned: [3] }), new Random(1));
    assert.equal(token, 0);
    assert.ok(Math.abs(confidence - 0.3) < 1e-6);
  });

  it('reads confidence from the original softmax (LLaDA, Dimple) or the sampled distribution (Dream)', () => {
    const row = Float32Array.from([Math.log(0.6), Math.log(0.3), Math.log(0.1)]);
    const sampling = { temperature: 0.5, top_p: 0.5 }; // top-p keeps token 0 only
    const original = scoreRow(row, scoring({ sampling }), new Random(1));
    const sampled = scoreRow(row, scoring({ sampling, useOriginalConfidence: false }), new Random(1));
    assert.equal(original.token, 0);
    assert.ok(Math.abs(original.confidence - 0.6) < 1e-6);
    assert.equal(sampled.confidence, 1);
    // temperature alone: p ∝ p^(1/T)
    const hot = scoreRow(row, scoring({ sampling: { temperature: 0.5 }, useOriginalConfidence: false }), {
      uniform: () => 0.999999,
    });
    const z = 0.36 + 0.09 + 0.01;
    assert.ok(Math.abs(hot.confidence - [0.36, 0.09, 0.01][hot.token]! / z) < 1e-6);
  });

  it("leaves excluded ids out of the confidence only (LLaDA's confidence_eos_eot_inf)", () => {
    const row = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const eot = scoreRow(row, scoring({ confidenceExcluded: [0] }), new Random(1));
    assert.equal(eot.token, 0);
    assert.equal(eot.confidence, 0);
    const other = scoreRow(Float32Array.from([0.1, 2, 0]), scoring({ confidenceExcluded: [2] }), new Random(1));
    assert.ok(Math.abs(other.confidence - Math.exp(2) / (Math.exp(2) + Math.exp(0.1))) < 1e-6);
  });
});

describe('schedules', () => {
  it('LLaDA: spreads masks evenly with the remainder on the first steps, 0 past the masks', () => {
    assert.deepEqual(transferSchedule(10, 4), [3, 3, 2, 2]);
    assert.deepEqual(transferSchedule(4, 4), [1, 1, 1, 1]);
    assert.deepEqual(transferSchedule(2, 4), [1, 1, 0, 0]);
  });

  it('linspace(1, eps, steps + 1) in float32 by the PyTorch formula', () => {
    const f = Math.fround;
    assert.deepEqual(epsTimesteps(2, 1e-3), [1, f(0.5005), f(1e-3)]);
    assert.equal(epsTimesteps(512, 1e-3).length, 513);
    assert.equal(epsTimesteps(512, 1e-3)[512], f(1e-3));
  });

  it('Dream: int(n·(1 − s/t)) per step, 0 allowed, all that is left at the last step', () => {
    const ts = epsTimesteps(16, 1e-3);
    // 16 masks, 16 steps: 16·(1 − 0.9375625) = 0.999 → 0 at the first step
    assert.equal(epsTransferCount(16, 0, ts), 0);
    assert.equal(epsTransferCount(16, 1, ts), 1);
    assert.equal(epsTransferCount(5, 15, ts), 5);
    const counts: number[] = [];
    let left = 16;
    for (let i = 0; i < 16; i++) {
      const k = epsTransferCount(left, i, ts);
      counts.push(k);
      left -= k;
    }
    assert.equal(left, 0);
    assert.equal(counts[0], 0);
    assert.ok(Math.abs(epsTransferProbability(0, ts) - 0.0624375) < 1e-6);
    assert.equal(epsTransferProbability(15, ts), 1);
  });

  it('Dimple: the eps schedule re-anchored at the mask ratio, first count ≥ 1, all at the last timestep', () => {
    const ts = epsTimesteps(8, 1e-3); // 1, 0.875125, 0.75025, …
    // all 16 masks left at step 0: t = 1, the first timestep below 1 is index 1 → int(16·0.124875) = 1
    assert.equal(reanchoredTransferCount(16, 16, 0, ts), 1);
    // 8 of 16 left at step 1: t = 0.5; the first timestep below it is index 5 (0.375625, index 4 is 0.5005)
    // → int(8·(1 − 0.75125)) = 1
    assert.equal(reanchoredTransferCount(8, 16, 1, ts), 1);
    // 12 of 16 left at step 3: t = 0.75, index 3 (0.625375) but not before step + 1 = 4 → int(12·(1 − 0.5005/0.75)) = 3
    assert.equal(reanchoredTransferCount(12, 16, 3, ts), 3);
    // at step 7 only the last timestep (eps) is left: every mask
    assert.equal(reanchoredTransferCount(3, 16, 7, ts), 3);
    // a ratio at or below eps commits everything (upstream raises)
    assert.equal(reanchoredTransferCount(1, 2000, 0, ts), 1);
  });
});

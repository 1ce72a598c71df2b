import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../worlds/src/index.js';
import { drawEvalSet, typePlan } from './eval-set.js';

describe('drawEvalSet', () => {
  it('draws each world’s share of every task type, the table set then the held-out set', async () => {
    const samples = await drawEvalSet({ perWorld: 3, heldoutPerWorld: 3, rng: new Rng(5) });
    const perSet = typePlan(3).reduce((n, p) => n + p.count, 0);
    assert.equal(samples.length, 2 * perSet);
    assert.deepEqual(
      samples.map((s) => s.set),
      [...Array(perSet).fill('table'), ...Array(perSet).fill('heldout')],
    );
  });

  it('with `types`, draws only those types, as many of each as the full plan would', async () => {
    const samples = await drawEvalSet({ perWorld: 6, heldoutPerWorld: 9, types: ['intent'], rng: new Rng(5) });
    assert.ok(samples.every((s) => s.type === 'intent'));
    assert.equal(samples.filter((s) => s.set === 'table').length, 2);
    assert.equal(samples.filter((s) => s.set === 'heldout').length, 3);
    assert.ok(
      samples.every((s) => s.audio !== undefined),
      'a spoken command each',
    );
  });

  it('with `resampling: nearest`, draws the very same samples, only each clip aliased', async () => {
    const options = { perWorld: 3, types: ['transcribe', 'intent'] as const, rng: new Rng(7) };
    const clean = await drawEvalSet({ ...options, rng: new Rng(7) });
    const aliased = await drawEvalSet({ ...options, rng: new Rng(7), resampling: 'nearest' });
    assert.deepEqual(
      aliased.map(({ audio: _, ...rest }) => rest),
      clean.map(({ audio: _, ...rest }) => rest),
    );
    assert.ok(aliased.every((s, i) => s.audio && clean[i]!.audio && s.audio.length === clean[i]!.audio.length));
    assert.ok(aliased.every((s, i) => !Buffer.from(s.audio!).equals(Buffer.from(clean[i]!.audio!))));
  });
});

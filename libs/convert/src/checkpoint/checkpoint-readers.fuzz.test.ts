import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFuzz, ciFuzzOptions } from '@unmask/core/fuzz';
import { fuzzTargets, PICKLE_SEEDS, SAFETENSORS_SEEDS, TORCH_SEEDS } from './checkpoint-readers.fuzz.js';

describe("fuzzing the converter's checkpoint readers (bounded; `npm run fuzz` runs them for longer)", () => {
  it('every seed is read', async () => {
    assert.equal(PICKLE_SEEDS.length, TORCH_SEEDS.length);
    for (const [target, seeds] of [
      [fuzzTargets[0], PICKLE_SEEDS],
      [fuzzTargets[1], TORCH_SEEDS],
      [fuzzTargets[2], SAFETENSORS_SEEDS],
    ] as const)
      for (const seed of seeds) await target?.run(seed);
  });

  for (const target of fuzzTargets)
    it(`${target.name}: mutated files are read or refused cleanly`, async () => {
      const report = await assertFuzz(target, ciFuzzOptions());
      assert.ok(report.executions > 0);
    });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFuzz, ciFuzzOptions } from '@unmask/core/fuzz';
import { fuzzTargets, PICKLE_SEEDS, SAFETENSORS_SEEDS, TORCH_FILES, TORCH_SEEDS } from './checkpoint-readers.fuzz.js';

describe("fuzzing the converter's checkpoint readers (bounded; `npm run fuzz` runs them for longer)", () => {
  it('every seed is read, but for the non-contiguous checkpoint, which the converter refuses by name', async () => {
    assert.equal(PICKLE_SEEDS.length, TORCH_SEEDS.length);
    for (const seed of PICKLE_SEEDS) await fuzzTargets[0]?.run(seed);
    for (const [i, seed] of TORCH_SEEDS.entries()) {
      const read = async () => fuzzTargets[1]?.run(seed);
      if (TORCH_FILES[i] === 'noncontiguous.bin') await assert.rejects(read, /"transposed" is not contiguous/);
      else await read();
    }
    for (const seed of SAFETENSORS_SEEDS) await fuzzTargets[2]?.run(seed);
  });

  for (const target of fuzzTargets)
    it(`${target.name}: mutated files are read or refused cleanly`, async () => {
      const report = await assertFuzz(target, ciFuzzOptions());
      assert.ok(report.executions > 0);
    });
});

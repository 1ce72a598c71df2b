import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
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

  it('making inputs costs far less than reading them: the 200 pickles of the seed that stalled a long run take under 3 s of CPU', () => {
    // With containers of JS numbers nested four wide, this seed took 10 s of CPU (210 s of wall
    // time at load 20) for 200 inputs, and one input over 300 s of wall time at load 30, which
    // the long run's watchdog took for a hang of the reader.
    const cpu = process.cpuUsage();
    const inputs = fc.sample(fuzzTargets[0]!.arbitrary, { seed: 1249798970, numRuns: 200 });
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    assert.equal(inputs.length, 200);
    assert.ok(ms < 3000, `${Math.round(ms)} ms of CPU`);
    assert.ok(Math.max(...inputs.map((bytes) => bytes.length)) <= (1 << 20) + 16, 'no input over about 1 MiB');
  });

  for (const target of fuzzTargets)
    it(`${target.name}: mutated files are read or refused cleanly`, async () => {
      const report = await assertFuzz(target, ciFuzzOptions());
      assert.ok(report.executions > 0);
    });
});

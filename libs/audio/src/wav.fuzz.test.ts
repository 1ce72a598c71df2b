import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFuzz, ciFuzzOptions, judged } from '@unmask/core/fuzz';
import { readWav } from './wav/read-wav.js';
import { readWavTarget, WAV_SEEDS, wavFeaturesTarget } from './wav.fuzz.js';

describe('fuzzing the WAV reader (bounded; `npm run fuzz` runs it for longer)', () => {
  it('reads every seed file', () => {
    for (const seed of WAV_SEEDS) assert.ok(readWav(seed).samples.length > 0);
  });

  it('judges a crash as a finding and a refusal as fine', async () => {
    await judged(readWavTarget, new Uint8Array([1, 2, 3]));
    await assert.rejects(
      judged({ ...readWavTarget, run: () => JSON.parse('{') }, new Uint8Array()),
      /FuzzFinding|not a clean refusal/,
    );
  });

  for (const target of [readWavTarget, wavFeaturesTarget])
    it(`${target.name}: mutated WAV files are read or refused cleanly`, async () => {
      const report = await assertFuzz(target, ciFuzzOptions());
      assert.ok(report.executions > 0);
    });
});

/**
 * `lm.max_batch_size` of a converted bundle follows the measured rule of batch-size.ts: quantised
 * weights and small models batch one row per pass, large float models eight; `maxBatchSize`
 * overrides it, and `unmask convert` writes it into the manifest.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { LLAMA_CHECKPOINT } from '../../test-support/checkpoint-fixtures.js';
import { convertCheckpoint } from '../convert-checkpoint.js';
import { architectureFromConfig, readArchitecture } from '../lm/checkpoint-config.js';
import { BATCHING_PARAMETERS, matrixParameters, maxBatchSizeFor } from './batch-size.js';

const REAL = fileURLToPath(new URL('../../test-fixtures/real-configs/', import.meta.url));
const llada8b = architectureFromConfig(
  JSON.parse(readFileSync(join(REAL, 'llada-v-lm', 'config.json'), 'utf8')),
  'llada-v-lm/config.json',
);
const tiny = readArchitecture(LLAMA_CHECKPOINT);

describe('lm.max_batch_size by the measured rule', () => {
  it('counts LLaDA-8B’s matrix parameters: 32 layers of 4 × 4096² + 3 × 4096 × 12288, and the 126 464-row head', () => {
    assert.equal(matrixParameters(llada8b), 32 * (4 * 4096 ** 2 + 3 * 4096 * 12288) + 126464 * 4096);
    assert.ok(matrixParameters(llada8b) >= BATCHING_PARAMETERS);
    assert.ok(matrixParameters(tiny) < BATCHING_PARAMETERS);
  });

  it('int8 and int4 run one row per pass at any size (8 rows: 0.81–0.91× the rows per second at 64 positions)', () => {
    for (const weights of ['int8', 'int4'] as const) {
      assert.equal(maxBatchSizeFor(weights, llada8b), 1);
      assert.equal(maxBatchSizeFor(weights, tiny), 1);
    }
  });

  it('fp32 and fp16 batch 8 rows where the weights are large (1.33–1.73×), one where they are small (7.2× per 8 rows)', () => {
    for (const weights of ['fp32', 'fp16'] as const) {
      assert.equal(maxBatchSizeFor(weights, llada8b), 8);
      assert.equal(maxBatchSizeFor(weights, tiny), 1);
    }
  });

  describe('unmask convert', () => {
    const work = mkdtempSync(join(tmpdir(), 'unmask-batch-size-'));
    after(() => rmSync(work, { recursive: true, force: true }));
    const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

    it('writes the rule’s value into the manifest, or the one it is given', () => {
      const ruled = convertCheckpoint({ from: LLAMA_CHECKPOINT, to: join(work, 'ruled'), weights: 'int8' });
      assert.equal(ruled.manifest.lm.max_batch_size, 1);
      assert.equal(manifestOf(ruled.dir).lm.max_batch_size, 1);
      const given = convertCheckpoint({ from: LLAMA_CHECKPOINT, to: join(work, 'given'), maxBatchSize: 4 });
      assert.equal(manifestOf(given.dir).lm.max_batch_size, 4);
    });

    it('refuses a batch size that is not a positive integer', () => {
      assert.throws(
        () => convertCheckpoint({ from: LLAMA_CHECKPOINT, to: join(work, 'zero'), maxBatchSize: 0 }),
        /maxBatchSize/,
      );
    });
  });
});

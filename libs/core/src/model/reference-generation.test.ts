/**
 * The TypeScript engine over the real ONNX runtime reproduces the PyTorch reference generation
 * loop (tools/train/unmask_train/reference_generate.py) token for token: greedy fixed-step
 * LLaDA decoding of the tiny test model, with and without blocks and end-of-text prediction.
 * The fixture comes from tools/train/make_generation_reference.py.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle, type Bundle } from '../bundle/load-bundle.js';
import { DecodingEngine } from '../decoding/decoding-engine.js';

const FIXTURES = new URL('../../test-fixtures/', import.meta.url);

interface ReferenceCase {
  prompt_ids: number[];
  gen_length: number;
  steps: number;
  block_length: number;
  eos_fill: boolean;
  canvas: number[];
  forward_passes: number;
}

const { cases } = JSON.parse(readFileSync(new URL('tiny-generate-reference.json', FIXTURES), 'utf8')) as {
  cases: ReferenceCase[];
};

describe('greedy fixed-step decoding equals the PyTorch reference loop', () => {
  let bundle: Bundle;
  before(async () => {
    bundle = await loadBundle(fileURLToPath(new URL('tiny-bundle', FIXTURES)), { poolSize: 1 });
  });
  after(() => bundle.close());

  for (const [i, c] of cases.entries()) {
    it(`case ${i}: ${c.gen_length} positions, ${c.steps} steps, blocks of ${c.block_length}${c.eos_fill ? '' : ', no EOS fill'}`, async () => {
      const engine = new DecodingEngine(bundle.model);
      const result = await engine.generate({
        promptIds: c.prompt_ids,
        maxTokens: c.gen_length,
        strategy: { name: 'low_confidence', steps: c.steps, block_length: c.block_length, eos_fill: c.eos_fill },
      }).result;
      assert.deepEqual(result.canvas, c.canvas);
      assert.equal(result.forwardPasses, c.forward_passes);
    });
  }

  it('decodes all the cases batched together with the same answers', async () => {
    const engine = new DecodingEngine(bundle.model, { maxBatchSize: cases.length });
    const results = await Promise.all(
      cases.map(
        (c) =>
          engine.generate({
            promptIds: c.prompt_ids,
            maxTokens: c.gen_length,
            strategy: { name: 'low_confidence', steps: c.steps, block_length: c.block_length, eos_fill: c.eos_fill },
          }).result,
      ),
    );
    results.forEach((r, i) => assert.deepEqual(r.canvas, cases[i]?.canvas, `case ${i}`));
  });
});

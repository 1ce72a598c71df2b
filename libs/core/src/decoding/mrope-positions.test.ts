/**
 * Specification of the engine's M-RoPE rows: the caller gives the prompt's [3, prompt] table
 * (here a 2 × 2 image between text, numbered as Qwen2-VL's get_rope_index does), and every row
 * the engine builds — whole sequence, cached prefix, block — carries the table's positions for
 * its prompt part and the running text index after the prompt's largest position for its
 * answer part.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from './decoding-engine.js';
import { MropePositions } from './mrope-positions.js';
import { DEFAULT_INFO, ScriptedModel, peaked } from '../test-support/scripted-model.js';
import { isUnmaskError } from '../errors.js';

// Prompt: 2 text tokens, a 2 × 2 merged image (4 tokens), 1 text token.
// Text 0, 1; image t = 2, h = 2 + row, w = 2 + column; the text after it starts at max 3 + 1 = 4.
const TABLE = [
  [0, 1, 2, 2, 2, 2, 4],
  [0, 1, 2, 2, 3, 3, 4],
  [0, 1, 2, 3, 2, 3, 4],
].flat();
const PROMPT = [3, 4, 9, 9, 9, 9, 5];
// Answer positions 7, 8, … continue at 5, 6, … (delta 5 − 7 = −2) in all three components.
const expectedAt = (absolute: number): [number, number, number] =>
  absolute < 7
    ? [TABLE[absolute]!, TABLE[7 + absolute]!, TABLE[14 + absolute]!]
    : [absolute - 2, absolute - 2, absolute - 2];

describe('M-RoPE positions of a request', () => {
  it('keeps the prompt table and continues the answer one past its largest position', () => {
    const table = MropePositions.of(TABLE, 7);
    assert.equal(table.delta, -2);
    assert.deepEqual(Array.from(table.segment(5, 10)), [2, 4, 5, 6, 7, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7]);
  });

  it('refuses a table of the wrong length or with negative positions, naming mropePositions', () => {
    assert.throws(
      () => MropePositions.of([0, 1, 2], 2),
      (e) =>
        isUnmaskError(e, 'invalid_parameter') &&
        /mropePositions has 3 entries; expected 3 × the prompt's 2 tokens/.test(e.message),
    );
    assert.throws(
      () => MropePositions.of([0, -1, 0, 0, 0, 0], 2),
      (e) => isUnmaskError(e, 'invalid_parameter') && /mropePositions\[1\] = -1/.test(e.message),
    );
  });

  for (const cache of ['none', 'prefix', 'dual'] as const) {
    it(`every row of a ${cache}-cache run carries the positions of its segment`, async () => {
      const model = new ScriptedModel(({ target }) => peaked(2 + (target % 5), 0.9), {
        ...DEFAULT_INFO,
        shiftedLogits: true,
      });
      await decode(model, {
        promptIds: PROMPT,
        mropePositions: TABLE,
        maxTokens: 6,
        cache,
        strategy: { name: 'low_confidence', block_length: 3, steps: 6 },
      });
      const rows = model.calls.flat();
      assert.ok(rows.length >= 6);
      for (const row of rows) {
        const n = row.segmentLength;
        assert.ok(row.mropePositionIds, 'the row carries M-RoPE positions');
        row.positionIds.forEach((absolute, i) => {
          const [t, h, w] = expectedAt(absolute);
          assert.deepEqual(
            [row.mropePositionIds![i], row.mropePositionIds![n + i], row.mropePositionIds![2 * n + i]],
            [t, h, w],
            `position ${absolute}`,
          );
        });
      }
      if (cache !== 'none')
        assert.ok(
          rows.some((r) => r.pastLength > 0),
          'some rows read a cache',
        );
    });
  }

  it('a request without a table sends no M-RoPE positions (the model then uses the 1-D index)', async () => {
    const model = new ScriptedModel(() => peaked(3, 0.9));
    await decode(model, { promptIds: PROMPT, maxTokens: 3 });
    assert.ok(model.calls.flat().every((r) => r.mropePositionIds === undefined));
  });
});

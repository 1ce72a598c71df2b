import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ForwardRow, ForwardRowResult, LanguageModel, ModelInfo } from '@unmask/core';
import type { PreparedPrompt } from './grid.js';
import { measurePassScaling, uncachedRow } from './pass-scaling.js';

const prompt: PreparedPrompt = {
  promptIds: [5, 6, 7],
  embeddings: [{ offset: 1, count: 1, data: new Float32Array(4) }],
  answer: 'x',
};

/** A model on a fake clock: a pass of n rows advances it by `cost(n)` ms. */
class ClockModel implements LanguageModel {
  clock = 0;
  readonly passes: (readonly ForwardRow[])[] = [];
  constructor(private readonly cost: (rows: number) => number) {}
  get info(): ModelInfo {
    return {} as ModelInfo;
  }
  async forward(rows: readonly ForwardRow[]): Promise<ForwardRowResult[]> {
    this.passes.push(rows);
    this.clock += this.cost(rows.length);
    return rows.map(() => ({ logits: new Float32Array(0) }));
  }
}

describe('the batching bound (one row against n rows per pass)', () => {
  it('builds the first pass of an uncached request: the prompt, a masked canvas, logits for the canvas', () => {
    const row = uncachedRow(prompt, 4, 2);
    assert.deepEqual(Array.from(row.inputIds), [5, 6, 7, 2, 2, 2, 2]);
    assert.deepEqual(Array.from(row.positionIds), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(row.logitsIndices), [3, 4, 5, 6]);
    assert.equal(row.embeddings, prompt.embeddings);
  });

  it('times one-row and n-row passes alike, interleaved, after one uncounted pass of each', async () => {
    const model = new ClockModel((n) => n);
    const s = await measurePassScaling(
      model,
      prompt,
      { canvas: 4, maskId: 2, rows: 8, seconds: 0, minRuns: 4 },
      () => model.clock,
    );
    assert.equal(s.runs, 4);
    assert.deepEqual(
      model.passes.map((p) => p.length),
      [1, 8, 1, 8, 8, 1, 1, 8, 8, 1],
    );
    assert.ok(model.passes.every((rows) => rows.every((r) => r === model.passes[0]![0])));
  });

  it('divides the one-row time by the per-row time of the n-row pass', async () => {
    // A one-row pass costs 2 ms, an 8-row pass 8 ms: 1 ms per row, so batching gains at most 2x.
    const model = new ClockModel((n) => (n === 1 ? 2 : n));
    const s = await measurePassScaling(
      model,
      prompt,
      { canvas: 4, maskId: 2, rows: 8, seconds: 0, minRuns: 3 },
      () => model.clock,
    );
    assert.deepEqual(
      { one: s.oneRowMs, batch: s.batchMs, perRow: s.perRowMs, bound: s.bound },
      { one: 2, batch: 8, perRow: 1, bound: 2 },
    );
    assert.equal(s.promptTokens, 3);
    assert.equal(s.positions, 7);
  });

  it('stops at maxRuns however long the budget', async () => {
    const model = new ClockModel(() => 0);
    const s = await measurePassScaling(
      model,
      prompt,
      { canvas: 4, maskId: 2, rows: 2, seconds: 1e9, maxRuns: 6 },
      () => model.clock,
    );
    assert.equal(s.runs, 6);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Answer, type CellResult, markAgreement, sameTokens, STRATEGIES } from './grid.js';

const answer = (canvas: number[]): Answer => ({
  promptTokens: 10,
  text: '',
  tokenIds: canvas,
  canvas,
  correct: false,
  forwardPasses: 1,
  ms: 1,
});
const cell = (strategy: string, cache: CellResult['cache'], canvases: number[][]): CellResult => ({
  strategy,
  strategyObject: {},
  cache,
  requests: canvases.length,
  accuracy: 0,
  forwardPassesPerAnswer: 1,
  tokensPerPass: 1,
  latencyP50Ms: 1,
  latencyP95Ms: 1,
  requestsPerSecond: 1,
  passMs: 1,
  passFlops: 1,
  floorMultiple: 1,
  answers: canvases.map(answer),
});

describe('the strategy grid', () => {
  it("covers the issue's strategies, fixed schedules giving one token per step and length/4 steps", () => {
    assert.equal(STRATEGIES.length, 10);
    assert.deepEqual(STRATEGIES[0]!.strategy(32), { name: 'low_confidence', steps: 32 });
    assert.deepEqual(STRATEGIES[1]!.strategy(32), { name: 'low_confidence', steps: 8 });
    assert.deepEqual(
      STRATEGIES.filter((s) => s.label.startsWith('confident')).map((s) => s.strategy(16).threshold),
      [0.7, 0.8, 0.9, 0.95],
    );
  });

  it('compares tokens exactly, length included', () => {
    assert.ok(sameTokens([1, 2, 3], [1, 2, 3]));
    assert.ok(!sameTokens([1, 2, 3], [1, 2]));
    assert.ok(!sameTokens([1, 2, 3], [1, 2, 4]));
    assert.ok(!sameTokens([1], undefined));
  });

  it('scores each cached cell by its agreement with the same strategy without cache', () => {
    const cells = [
      cell('a', 'none', [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ]),
      cell('a', 'prefix', [
        [1, 2],
        [3, 4],
        [5, 0],
        [7, 8],
      ]),
      cell('b', 'none', [[1], [2], [3], [4]]),
      cell('b', 'dual', [[1], [2], [3], [4]]),
    ];
    markAgreement(cells);
    assert.equal(cells[0]!.agreementWithUncached, undefined);
    assert.equal(cells[1]!.agreementWithUncached, 0.75);
    assert.equal(cells[3]!.agreementWithUncached, 1);
  });
});

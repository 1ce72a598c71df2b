import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer, CellResult } from './grid.js';
import { prefixByPromptLength } from './prefix-by-length.js';

const answer = (promptTokens: number, ms: number, canvas: number[]): Answer => ({
  promptTokens,
  text: '',
  tokenIds: canvas,
  canvas,
  correct: false,
  forwardPasses: 1,
  ms,
});
const cell = (strategy: string, cache: CellResult['cache'], answers: Answer[]): CellResult => ({
  strategy,
  strategyObject: {},
  cache,
  requests: answers.length,
  accuracy: 0,
  forwardPassesPerAnswer: 1,
  tokensPerPass: 1,
  latencyP50Ms: 1,
  latencyP95Ms: 1,
  requestsPerSecond: 1,
  passMs: 1,
  passFlops: 1,
  floorMultiple: 1,
  answers,
});

// Prompts of 10, 20, 70 and 90 tokens: two short, two long.
const lengths = [10, 20, 70, 90];
const grid = [
  cell('a', 'none', [answer(10, 4, [1]), answer(20, 6, [2]), answer(70, 30, [3]), answer(90, 50, [4])]),
  cell('a', 'prefix', [answer(10, 4, [1]), answer(20, 6, [2]), answer(70, 10, [3]), answer(90, 20, [9])]),
  cell('a', 'dual', [answer(10, 2, [1]), answer(20, 3, [0]), answer(70, 15, [3]), answer(90, 25, [4])]),
  cell(
    'b',
    'none',
    lengths.slice(0, 2).map((t) => answer(t, 5, [t])),
  ),
  cell(
    'b',
    'prefix',
    lengths.slice(0, 2).map((t) => answer(t, 5, [t])),
  ),
];

describe('the prefix cache by prompt length', () => {
  it('splits each strategy at 64 prompt tokens and gives the p50 latency of every cache in each bucket', () => {
    const rows = prefixByPromptLength(grid);
    const aLong = rows.find((r) => r.strategy === 'a' && r.bucket === 'long')!;
    assert.equal(aLong.prompts, 2);
    assert.equal(aLong.noneP50Ms, 30);
    assert.equal(aLong.prefix!.p50Ms, 10);
    assert.equal(aLong.prefix!.speedup, 3);
    assert.equal(aLong.dual!.speedup, 2);
    const aShort = rows.find((r) => r.strategy === 'a' && r.bucket === 'short')!;
    assert.equal(aShort.prompts, 2);
    assert.equal(aShort.noneP50Ms, 4);
    assert.equal(aShort.dual!.p50Ms, 2);
  });

  it('counts the answers equal token for token to the uncached ones within each bucket', () => {
    const rows = prefixByPromptLength(grid);
    const aLong = rows.find((r) => r.strategy === 'a' && r.bucket === 'long')!;
    const aShort = rows.find((r) => r.strategy === 'a' && r.bucket === 'short')!;
    assert.equal(aLong.prefix!.sameAnswers, 0.5);
    assert.equal(aLong.dual!.sameAnswers, 1);
    assert.equal(aShort.prefix!.sameAnswers, 1);
    assert.equal(aShort.dual!.sameAnswers, 0.5);
  });

  it('leaves an empty bucket empty, and a cache the grid lacks absent', () => {
    const rows = prefixByPromptLength(grid);
    const bLong = rows.find((r) => r.strategy === 'b' && r.bucket === 'long')!;
    assert.deepEqual(bLong, { strategy: 'b', bucket: 'long', threshold: 64, prompts: 0 });
    const bShort = rows.find((r) => r.strategy === 'b' && r.bucket === 'short')!;
    assert.equal(bShort.dual, undefined);
    assert.equal(bShort.prefix!.speedup, 1);
  });

  it('takes another threshold, a prompt of exactly that length counting as long', () => {
    const rows = prefixByPromptLength(grid, 20);
    assert.equal(rows.find((r) => r.strategy === 'a' && r.bucket === 'long')!.prompts, 3);
  });

  it('refuses cells whose answers are not over the same prompts', () => {
    const bad = [cell('a', 'none', [answer(10, 1, [1])]), cell('a', 'prefix', [answer(11, 1, [1])])];
    assert.throws(() => prefixByPromptLength(bad), /a \/ prefix answers are not over the same prompts/);
  });
});

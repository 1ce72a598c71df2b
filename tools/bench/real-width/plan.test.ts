import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type EngineSpec, bitsOf, estimatedResident, groups, parseUnmaskFormat, runsAt, waves } from './plan.js';
import { SHAPES } from './shapes.js';

const spec = (kind: EngineSpec['kind'], format: string): EngineSpec =>
  ({ kind, format, bits: bitsOf(kind, format) }) as EngineSpec;

describe('the real-width plan', () => {
  it('groups the engines by bit width, unmask first', () => {
    const all = [
      spec('pytorch', 'int8'),
      spec('llama.cpp', 'Q8_0'),
      spec('unmask', 'int8'),
      spec('unmask', 'fp32'),
      spec('llama.cpp', 'Q4_0'),
    ];
    assert.deepEqual(
      groups(all).map((g) => g.map((s) => `${s.kind} ${s.format}`)),
      [['unmask fp32'], ['unmask int8', 'llama.cpp Q8_0', 'pytorch int8'], ['llama.cpp Q4_0']],
    );
  });

  it('loads engines together only while their estimates fit the budget', () => {
    const group = [spec('unmask', 'int8'), spec('llama.cpp', 'Q8_0'), spec('pytorch', 'int8')];
    const sizes: Record<string, number> = { 'unmask int8': 3, 'llama.cpp Q8_0': 2, 'pytorch int8': 4 };
    const est = (s: EngineSpec) => sizes[`${s.kind} ${s.format}`]!;
    assert.deepEqual(
      waves(group, est, 8).map((w) => w.length),
      [2, 1],
    );
    assert.deepEqual(
      waves(group, est, 9).map((w) => w.length),
      [3],
    );
    assert.deepEqual(
      waves(group, est, 1).map((w) => w.length),
      [1, 1, 1],
      'too big alone still runs, alone',
    );
  });

  it('estimates fp32 above int8 above int4 for the same engine', () => {
    const e = (format: string) => estimatedResident(spec('unmask', format), SHAPES.llada, 2);
    assert.ok(e('fp32') > e('int8') && e('int8') > e('int4'));
  });

  it('reads an unmask format as the weights and, for int8 / int4, an optional block size after @', () => {
    assert.deepEqual(parseUnmaskFormat('int8'), { weights: 'int8' });
    assert.deepEqual(parseUnmaskFormat('fp16'), { weights: 'fp16' });
    assert.deepEqual(parseUnmaskFormat('int8@32'), { weights: 'int8', blockSize: 32 });
    assert.deepEqual(parseUnmaskFormat('int4@128'), { weights: 'int4', blockSize: 128 });
    for (const bad of ['int2', 'fp32@32', 'int8@16', 'int8@', 'int8@032', 'int4@64@64', 'Q8_0'])
      assert.equal(parseUnmaskFormat(bad), undefined, bad);
    assert.equal(bitsOf('unmask', 'int4@32'), 4);
    assert.throws(() => bitsOf('unmask', 'int8@16'), /unknown unmask format int8@16/);
  });

  it('groups block-size variants with their bit width', () => {
    assert.deepEqual(
      groups([spec('unmask', 'int8@32'), spec('unmask', 'int4'), spec('unmask', 'int8')]).map((g) =>
        g.map((s) => s.format),
      ),
      [['int8@32', 'int8'], ['int4']],
    );
  });

  it('runs one fewer timed forward from 1024 positions up, never none', () => {
    assert.equal(runsAt(256, 3), 3);
    assert.equal(runsAt(1024, 3), 2);
    assert.equal(runsAt(1024, 1), 1);
  });
});

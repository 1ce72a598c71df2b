import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CellResult } from './grid.js';
import { chartSvg, markdownReport } from './report.js';
import type { BenchResult } from './result.js';

const cell = (strategy: string, cache: CellResult['cache'], passes: number, accuracy: number): CellResult => ({
  strategy,
  strategyObject: {},
  cache,
  requests: 4,
  accuracy,
  forwardPassesPerAnswer: passes,
  tokensPerPass: 16 / passes,
  latencyP50Ms: 2,
  latencyP95Ms: 3,
  requestsPerSecond: 400,
  passMs: 0.5,
  passFlops: 1e6,
  floorMultiple: 7,
  answers: [],
  ...(cache === 'none' ? {} : { agreementWithUncached: 0.75 }),
});

const result: BenchResult = {
  model: { dir: '/m', name: 'm<1>' },
  eval: {
    source: 'e.jsonl',
    count: 4,
    meanPromptTokens: 20,
    withImage: 0,
    withAudio: 0,
    promptTokens: [10, 12, 30, 70],
  },
  canvas: 16,
  threads: 2,
  quick: true,
  machine: {
    cpuModel: 'cpu',
    logicalCpus: 2,
    memoryGiB: 8,
    platform: 'p',
    node: 'v20',
    onnxruntimeNode: '1.30.0',
    loadAtStart: [1, 2, 3],
    loadAtEnd: [4, 5, 6],
    busyProcesses: [],
    startedAt: 'now',
  },
  seconds: 10,
  notes: ['a note'],
  floor: {
    sizes: {
      vocab_size: 64,
      hidden_size: 32,
      num_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 8,
      max_positions: 128,
    },
    layerWeights: 18432,
    intermediateSize: 64,
    examplePositions: 30,
    exampleFlops: 1.4e6,
    matmul: { threads: 2, bySize: [{ n: 128, gflops: 10, runs: 5 }], flopsPerSecond: 1e10 },
  },
  grid: [
    cell('fixed 1/step', 'none', 16, 0.5),
    cell('fixed 1/step', 'prefix', 16, 0.25),
    cell('ascending', 'dual', 5, 1),
  ],
  prefixByLength: [
    {
      strategy: 'fixed 1/step',
      bucket: 'short',
      threshold: 64,
      prompts: 3,
      noneP50Ms: 20,
      prefix: { p50Ms: 16, speedup: 1.25, sameAnswers: 1 },
      dual: { p50Ms: 10, speedup: 2, sameAnswers: 2 / 3 },
    },
    { strategy: 'fixed 1/step', bucket: 'long', threshold: 64, prompts: 0 },
    {
      strategy: 'ascending',
      bucket: 'short',
      threshold: 64,
      prompts: 2,
      noneP50Ms: 9,
      prefix: { p50Ms: 9, speedup: 1, sameAnswers: 1 },
      dual: { p50Ms: 9, speedup: 1, sameAnswers: 1 },
    },
    {
      strategy: 'ascending',
      bucket: 'long',
      threshold: 64,
      prompts: 1,
      noneP50Ms: 30,
      prefix: { p50Ms: 15, speedup: 2, sameAnswers: 0 },
      dual: { p50Ms: 20, speedup: 1.5, sameAnswers: 1 },
    },
  ],
  peerSkipped: 'no weights',
  batching: [
    {
      maxBatchSize: 8,
      clients: 16,
      requests: 32,
      seconds: 1,
      requestsPerSecond: 30,
      latencyP50Ms: 1,
      latencyP95Ms: 2,
      forwardPasses: 10,
      rowsPerPass: 8,
      passMs: 4,
    },
    {
      maxBatchSize: 1,
      clients: 16,
      requests: 32,
      seconds: 3,
      requestsPerSecond: 10,
      latencyP50Ms: 1,
      latencyP95Ms: 2,
      forwardPasses: 80,
      rowsPerPass: 1,
      passMs: 1,
    },
  ],
  passScaling: { promptTokens: 30, positions: 46, rows: 8, runs: 12, oneRowMs: 1, batchMs: 4, perRowMs: 0.5, bound: 2 },
  batchingStrategy: { name: 'confident' },
};

describe('the benchmark report', () => {
  it('has one table row per strategy × cache with agreement only for cached cells', () => {
    const md = markdownReport(result);
    assert.match(md, /\| fixed 1\/step \| none \| 50\.0% \| 16\.0 \| 1\.00 \|.*\| — \|/);
    assert.match(md, /\| fixed 1\/step \| prefix \| 25\.0% \|.*\| 75\.0% \|/);
    assert.match(md, /Load average \(1\/5\/15 min\) at start 1 \/ 2 \/ 3, at end 4 \/ 5 \/ 6/);
  });

  it('states the batching ratio from the two measured rates and says why the peer is missing', () => {
    const md = markdownReport(result);
    assert.match(md, /maxBatchSize 8 ÷ 1: \*\*3\.00×\*\*/);
    assert.match(md, /A pass of 8\.00 rows took 4\.00× as long as a pass of one row: batching can gain at most 2\.00×/);
    assert.match(md, /Skipped: no weights\./);
  });

  it('splits the prefix cache by prompt length, saying when a bucket is empty', () => {
    const md = markdownReport(result);
    assert.match(md, /min 10, p50 12, max 70; 1 of 4 prompts have 64 or more/);
    assert.match(
      md,
      /\| fixed 1\/step \| < 64 \| 3 \| 20\.0 \| 16\.0 \| 10\.0 \| 1\.25× \| 2\.00× \| 100\.0% \| 66\.7% \|/,
    );
    assert.match(md, /\| fixed 1\/step \| ≥ 64 \| 0 \| none in this sample \|/);
    assert.match(md, /\| ascending \| ≥ 64 \| 1 \| 30\.0 \| 15\.0 \| 20\.0 \| 2\.00× \| 1\.50× \| 0\.0% \| 100\.0% \|/);
    assert.match(md, /none ÷ prefix at p50 is 2\.00×–2\.00× over the strategies, met by 1 of 1/);
  });

  it('says the prefix target cannot be judged when no prompt is long enough', () => {
    const short = {
      ...result,
      prefixByLength: result.prefixByLength!.filter((b) => b.bucket === 'short' || b.prompts === 0),
    };
    assert.match(markdownReport(short), /not measurable in this run, the sample has no prompt of 64 tokens or more/);
  });

  it('prints the measured batching bound next to the achieved ratio', () => {
    const md = markdownReport(result);
    assert.match(
      md,
      /median prompt \(30 tokens \+ the 16-position canvas\) took 1\.00 ms with one row and 4\.00 ms with 8 identical rows, 0\.500 ms per row \(p50 of 12 interleaved runs each\)/,
    );
    assert.match(
      md,
      /at most \*\*2\.00×\*\* as fast on this model and CPU; the serving run above achieved \*\*3\.00×\*\*/,
    );
  });

  it('draws one point per cell, higher accuracy higher up, and escapes names', () => {
    const svg = chartSvg(result);
    const points = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="4" fill="[^"]+" fill-opacity/g)].map(
      (m) => ({ x: Number(m[1]), y: Number(m[2]) }),
    );
    assert.equal(points.length, 3);
    assert.ok(points[2]!.y < points[0]!.y && points[0]!.y < points[1]!.y);
    assert.ok(points[2]!.x < points[0]!.x);
    assert.ok(svg.includes('m&lt;1&gt;') && !svg.includes('m<1>'));
  });
});

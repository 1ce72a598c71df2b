/**
 * The unmask benchmark: one command that measures decoding strategies × KV caches (accuracy,
 * passes, latency, throughput), the compute floor, the PyTorch peer, batching and (with
 * --sweep-session) onnxruntime session settings, on one bundle, within a time budget.
 *
 *   npm run bench -- [--model DIR] [--eval FILE] [--quick] [--out DIR] [--threads N] [--canvas N] [--block-length N]
 *                    [--samples N] [--sweep-session] [--peer-checkpoint lm.pt|DIR] [--budget-s S]
 *
 * Writes bench.json, bench.md and chart.svg to --out (default tmp/bench/). Nothing is
 * hard-coded: every number in them is measured by the run that writes them.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { isUnmaskError } from '@unmask/core';
import { DEFAULT_MODEL_DIR, Unmask } from '@unmask/pipeline';
import { measureThroughput, type ThroughputResult } from './batching.js';
import { CountingModel } from './counting-model.js';
import { type EvalItem, loadEvalSet, writeSampleEvalSet } from '../eval/src/eval-file.js';
import { lmCost } from './flops.js';
import { DEFAULT_LONG_SHARE, LONG_CANDIDATES } from '../eval/src/long-prompts.js';
import {
  CACHES,
  type CellResult,
  type CellRun,
  markAgreement,
  type PreparedPrompt,
  runCell,
  STRATEGIES,
  type StrategyCase,
  summariseCell,
} from './grid.js';
import { describeMachine, loadAverage } from './machine.js';
import { measureMatmulRate } from './matmul-rate.js';
import { measurePassScaling } from './pass-scaling.js';
import { prefixByPromptLength } from './prefix-by-length.js';
import { comparePeer, peerPrompt, peerWeightsFor, runPeer } from './peer.js';
import { measurePoolSizes } from './pool-size.js';
import { Progress } from './progress.js';
import { chartSvg, markdownReport } from './report.js';
import type { BenchResult, PeerComparison } from './result.js';
import { recommend, sweepSessions, sweepSettings } from './session-sweep.js';
import { mean, quantile } from './stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TINY = join(ROOT, 'libs/core/test-fixtures/tiny-bundle');

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    eval: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'tmp/bench') },
    threads: { type: 'string' },
    canvas: { type: 'string', default: '32' },
    'block-length': { type: 'string' },
    samples: { type: 'string' },
    'sweep-session': { type: 'boolean', default: false },
    'peer-checkpoint': { type: 'string' },
    'budget-s': { type: 'string', default: '540' },
  },
});

function intArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

const quick = args.quick === true;
const threads = intArg('threads', args.threads, os.availableParallelism());
const canvas = intArg('canvas', args.canvas, 32);
const blockLength =
  args['block-length'] === undefined ? undefined : intArg('block-length', args['block-length'], canvas);
if (blockLength !== undefined && canvas % blockLength !== 0)
  throw new Error(`--block-length ${blockLength} must divide --canvas ${canvas}`);
/** The grid's strategies, with semi-autoregressive blocks when --block-length is given. */
const strategies: readonly StrategyCase[] =
  blockLength === undefined
    ? STRATEGIES
    : STRATEGIES.map((c) => ({
        label: c.label,
        strategy: (n: number) => ({ ...c.strategy(n), block_length: blockLength }),
      }));
const requestedSamples = intArg('samples', args.samples, quick ? 16 : 64);
const budgetS = intArg('budget-s', args['budget-s'], 540);
const outDir = resolve(args.out!);
const notes: string[] = [];
const runStarted = performance.now();
const elapsedS = () => (performance.now() - runStarted) / 1000;

let modelDir: string;
if (args.model) modelDir = resolve(args.model);
else if (existsSync(join(DEFAULT_MODEL_DIR, 'manifest.json'))) modelDir = DEFAULT_MODEL_DIR;
else {
  modelDir = TINY;
  notes.push(
    `models/default has no manifest.json yet, so this run measures the tiny random test bundle (${TINY}); its accuracy is meaningless.`,
  );
}
mkdirSync(outDir, { recursive: true });

const machine = describeMachine();
const progress = new Progress(0);
progress.draw('loading the bundle');
// Strategies with caches are timed too: the key/value outputs are loaded up front, not with the first of them.
const unmask = await Unmask.load(modelDir, {
  poolSize: 1,
  sessionOptions: { intraOpNumThreads: threads },
  keyValueOutputs: 'always',
});
const { bundle } = unmask;
try {
  // --- the evaluation sample, prompts prepared once (media encoding is not timed) ---
  const hasVision = bundle.manifest.vision !== undefined;
  const hasAudio = bundle.manifest.audio !== undefined;
  const evalPath = args.eval
    ? resolve(args.eval)
    : await writeSampleEvalSet(join(outDir, 'eval'), {
        count: requestedSamples,
        seed: 1,
        images: hasVision,
        audio: hasAudio,
      });
  if (!args.eval) {
    const media = `${hasVision ? 'scenes as PNG images' : 'scenes as cell words in the prompt'}, ${hasAudio ? 'spoken words as espeak-ng WAV' : 'spoken words in the prompt'}`;
    const longEvery = `${(DEFAULT_LONG_SHARE * 100).toFixed(0)}% of them`;
    const long = hasAudio
      ? `${longEvery} long-prompt examples (the longest of ${LONG_CANDIDATES} drawn utterances, mostly spoken questions about an image, at 130 words per minute with 0.5 s of silence each side: the spec's limits)`
      : `${longEvery} drawn as long-prompt examples, though without an audio tower their spoken words are short text`;
    notes.push(
      `No --eval: ${requestedSamples} examples drawn from tools/worlds (seed 1; ${long}; the others task types in turn; ${media}) into ${evalPath}.`,
    );
  }
  const items: EvalItem[] = loadEvalSet(evalPath).slice(0, requestedSamples);
  const prompts: (PreparedPrompt & { readonly image: boolean; readonly audio: boolean })[] = [];
  const tooLong: string[] = [];
  for (const item of items) {
    if (item.imageBytes && !unmask.accepts.images)
      throw new Error(`${evalPath}: an example has an image, but ${modelDir} has no vision tower`);
    if (item.audioBytes && !unmask.accepts.audio)
      throw new Error(`${evalPath}: an example has audio, but ${modelDir} has no audio tower`);
    let built: Awaited<ReturnType<Unmask['prepare']>>;
    try {
      built = await unmask.prepare({
        prompt: item.prompt,
        images: item.imageBytes ? [item.imageBytes] : [],
        audio: item.audioBytes ? [item.audioBytes] : [],
        maxTokens: canvas,
        fixedCanvas: true,
        strategy: strategies[0]!.strategy(canvas),
      });
    } catch (error) {
      // Too long already by its text and media headers (prepare's check before encoding).
      if (!isUnmaskError(error) || error.code !== 'context_length_exceeded') throw error;
      tooLong.push('too long by its headers');
      continue;
    }
    if (built.promptIds.length + canvas > bundle.manifest.sizes.max_positions) {
      tooLong.push(`${built.promptIds.length} tokens`);
      continue;
    }
    prompts.push({
      promptIds: built.promptIds,
      embeddings: built.embeddings,
      answer: item.answer,
      image: item.imageBytes !== undefined,
      audio: item.audioBytes !== undefined,
    });
  }
  if (tooLong.length) {
    notes.push(
      `${tooLong.length} example(s) left out: their prompts (${tooLong.join(', ')}) and the ${canvas}-position canvas exceed the model's ${bundle.manifest.sizes.max_positions} positions.`,
    );
  }
  if (prompts.length === 0)
    throw new Error(
      `${evalPath}: no example fits the model's ${bundle.manifest.sizes.max_positions} positions with a ${canvas}-position canvas`,
    );
  const skip = new Set([bundle.info.eosTokenId, bundle.info.padTokenId]);
  const detokenize = (ids: number[]) =>
    bundle.tokenizer.decode(
      ids.filter((id) => !skip.has(id)),
      { skipSpecialTokens: true },
    );

  // --- the floor ---
  const cost = lmCost(bundle.resolve(bundle.manifest.lm.graph), bundle.manifest.sizes);
  const matmulSizes = quick ? [128, 256, 512] : [128, 256, 512, 1024];
  progress.grow(matmulSizes.length);
  progress.draw('matmul rate');
  const matmul = await measureMatmulRate(threads, matmulSizes, quick ? 0.5 : 1, () => progress.tick('matmul rate'));
  const meanPositions = mean(prompts.map((p) => p.promptIds.length)) + canvas;
  const counting = new CountingModel(bundle.model, cost);

  // --- calibrate: the costliest cell (one token per step, no cache) on three prompts ---
  progress.draw('calibrating');
  const calibration = await runCell(
    counting,
    prompts.slice(0, 3),
    strategies[0]!,
    'none',
    canvas,
    detokenize,
    () => {},
  );
  const perRequestS =
    quantile(
      calibration.answers.map((a) => a.ms),
      0.5,
    ) / 1000; // the median: one stray burst of load should not shrink the sample
  const cells = strategies.length * CACHES.length;
  const gridBudgetS = budgetS * (args['sweep-session'] ? 0.45 : 0.55) - elapsedS();
  const affordable = Math.floor(gridBudgetS / (cells * perRequestS));
  const n = Math.max(4, Math.min(prompts.length, affordable));
  if (n < prompts.length)
    notes.push(
      `Time budget: ${n} of ${prompts.length} prompts per configuration (calibrated at ${(perRequestS * 1000).toFixed(1)} ms per one-token-per-step request).`,
    );
  const sample = prompts.slice(0, n);

  // --- strategies × caches, in rounds over parts of the sample ---
  progress.grow(cells * n);
  const rounds = quick ? 1 : Math.min(2, n);
  const runs = new Map<string, CellRun[]>();
  for (let round = 0; round < rounds; round++) {
    const part = sample.slice(Math.floor((round * n) / rounds), Math.floor(((round + 1) * n) / rounds));
    for (const s of strategies) {
      for (const cache of CACHES) {
        const phase = `round ${round + 1}/${rounds}: ${s.label} / ${cache}`;
        const run = await runCell(counting, part, s, cache, canvas, detokenize, () => progress.tick(phase));
        runs.set(`${s.label}/${cache}`, [...(runs.get(`${s.label}/${cache}`) ?? []), run]);
      }
    }
  }
  const grid: CellResult[] = strategies.flatMap((s) =>
    CACHES.map((cache) => summariseCell(s, cache, canvas, runs.get(`${s.label}/${cache}`)!, matmul.flopsPerSecond)),
  );
  markAgreement(grid);
  const prefixByLength = prefixByPromptLength(grid);

  // --- the PyTorch peer on the same prompts and media features ---
  let peer: PeerComparison | undefined;
  let peerSkipped: string | undefined;
  const weights = peerWeightsFor(bundle.manifest.name, args['peer-checkpoint'], modelDir);
  progress.grow(sample.length);
  progress.draw('PyTorch peer');
  const ours = grid.find((c) => c.strategy === strategies[0]!.label && c.cache === 'none')!;
  const peerBudgetMs = Math.max(30, budgetS * 0.7 - elapsedS()) * 1000;
  try {
    const out = await runPeer(
      {
        weights,
        threads,
        prompts: sample.map((p) => peerPrompt(p.promptIds, p.embeddings)),
        gen_length: canvas,
        steps: canvas,
        block_length: blockLength ?? canvas,
        mask_id: bundle.info.maskTokenId,
        eos_id: bundle.info.eosTokenId,
        warmup: 1,
      },
      peerBudgetMs,
    );
    progress.tick('PyTorch peer', sample.length);
    if (out.cut)
      notes.push(
        `The peer reached its time limit (${(peerBudgetMs / 1000).toFixed(0)} s) after ${out.results.length} of ${sample.length} prompts; the comparison uses those.`,
      );
    peer = comparePeer(weights, out, ours.answers);
  } catch (error) {
    peerSkipped = `the peer failed: ${(error as Error).message}`;
  }

  // --- batching: 16 concurrent clients, maxBatchSize 8 vs 1 ---
  const batchingStrategy = { name: 'confident', threshold: 0.9 };
  const confidentNone = grid.find((c) => c.strategy === 'confident τ=0.9' && c.cache === 'none')!;
  const clients = 16;
  const reserveS = args['sweep-session'] ? budgetS * 0.15 : 0;
  const batchBudgetS = budgetS * 0.95 - reserveS - elapsedS();
  // Serving one at a time costs about clients × perClient × (one request's latency); batching is faster.
  const perClient = Math.max(
    1,
    Math.min(quick ? 4 : 8, Math.floor(batchBudgetS / (1.5 * clients * (confidentNone.latencyP50Ms / 1000)))),
  );
  // The bound: one row against eight identical rows, on the sample's median-length prompt, just before the serving runs.
  progress.grow(1 + 2 * clients * perClient);
  progress.draw('one row vs 8 rows per pass');
  const byLength = [...sample].sort((a, b) => a.promptIds.length - b.promptIds.length);
  const passScaling = await measurePassScaling(bundle.model, byLength[Math.floor((byLength.length - 1) / 2)]!, {
    canvas,
    maskId: bundle.info.maskTokenId,
    rows: 8,
    seconds: quick ? 0.5 : 1.5,
  });
  progress.tick('one row vs 8 rows per pass');
  const batching: ThroughputResult[] = [];
  for (const maxBatchSize of [8, 1]) {
    batching.push(
      await measureThroughput(
        counting,
        sample,
        { maxBatchSize, clients, requestsPerClient: perClient, canvas, strategy: batchingStrategy, cache: 'none' },
        () => progress.tick(`batching, maxBatchSize ${maxBatchSize}`),
      ),
    );
  }

  // --- session settings (optional) ---
  let sweep: BenchResult['sweep'];
  if (args['sweep-session'] && elapsedS() > budgetS * 0.9) {
    notes.push(
      `The session sweep was skipped: ${elapsedS().toFixed(0)} s of the ${budgetS} s budget were spent before it.`,
    );
  } else if (args['sweep-session']) {
    const settings = sweepSettings(os.availableParallelism());
    const rounds = 3;
    progress.grow(settings.length * rounds + 2);
    const positions = Math.round(meanPositions);
    const results = await sweepSessions(
      bundle.resolve(bundle.manifest.lm.graph),
      bundle.manifest,
      positions,
      canvas,
      settings,
      rounds,
      quick ? 0.3 : 0.6,
      () => progress.tick('session settings'),
    );
    const poolSize = await measurePoolSizes(
      modelDir,
      sample,
      { threads, clients, canvas, strategy: batchingStrategy },
      () => progress.tick('pool size', 0.5),
    );
    const fastest = [...results].sort((a, b) => a.p50Ms - b.p50Ms)[0]!;
    sweep = {
      positions,
      logits: canvas,
      rounds,
      results,
      poolSize,
      fastest: `${fastest.label} (p50 ${fastest.p50Ms.toFixed(3)} ms)`,
      recommendations: recommend(results),
    };
  }

  machine.loadAtEnd = loadAverage();
  const result: BenchResult = {
    model: {
      dir: modelDir,
      name: bundle.manifest.name,
      ...(bundle.manifest.description ? { description: bundle.manifest.description } : {}),
    },
    eval: {
      source: evalPath,
      count: n,
      meanPromptTokens: mean(sample.map((p) => p.promptIds.length)),
      withImage: sample.filter((p) => p.image).length,
      withAudio: sample.filter((p) => p.audio).length,
      promptTokens: sample.map((p) => p.promptIds.length),
    },
    canvas,
    ...(blockLength === undefined ? {} : { blockLength }),
    threads,
    quick,
    machine,
    seconds: elapsedS(),
    notes,
    floor: {
      sizes: bundle.manifest.sizes,
      layerWeights: cost.layerWeights,
      intermediateSize: cost.intermediateSize,
      examplePositions: meanPositions,
      exampleFlops: cost.flops(Math.round(meanPositions), 0, canvas),
      matmul,
    },
    grid,
    prefixByLength,
    ...(peer ? { peer } : {}),
    ...(peerSkipped ? { peerSkipped } : {}),
    batching,
    passScaling,
    batchingStrategy,
    ...(sweep ? { sweep } : {}),
  };
  writeFileSync(join(outDir, 'bench.json'), JSON.stringify(result, null, 1));
  const markdown = markdownReport(result);
  writeFileSync(join(outDir, 'bench.md'), markdown);
  writeFileSync(join(outDir, 'chart.svg'), chartSvg(result));
  progress.finish(`done in ${elapsedS().toFixed(0)} s: ${join(outDir, 'bench.md')}, bench.json, chart.svg`);
  process.stdout.write(`${markdown}\n`);
} finally {
  await unmask.close();
}

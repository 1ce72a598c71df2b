/**
 * The strategy × cache grid: each configuration decodes every prompt of the sample one request
 * at a time (greedy), after one uncounted warm-up request, and its answers, passes, latencies
 * and pass timings are measured. The caller runs the grid in rounds over parts of the sample,
 * so that a burst of load from other processes spreads over all configurations.
 */
import { type CacheMode, DecodingEngine, type SplicedEmbeddings } from '@unmask/core';
import { answersMatch } from '../worlds/src/normalise.js';
import type { CountingModel, PassRecord } from './counting-model.js';
import { mean, quantile } from './stats.js';

export interface StrategyCase {
  /** Short label used in tables and the chart. */
  readonly label: string;
  /** The engine's strategy object for a canvas of `length` positions. */
  strategy(length: number): Record<string, unknown>;
}

export const STRATEGIES: readonly StrategyCase[] = [
  { label: 'fixed 1/step', strategy: (n) => ({ name: 'low_confidence', steps: n }) },
  { label: 'fixed n/4 steps', strategy: (n) => ({ name: 'low_confidence', steps: Math.max(1, Math.floor(n / 4)) }) },
  ...[0.7, 0.8, 0.9, 0.95].map((t) => ({
    label: `confident τ=${t}`,
    strategy: () => ({ name: 'confident', threshold: t }),
  })),
  { label: 'threshold τ=0.9', strategy: () => ({ name: 'threshold', threshold: 0.9 }) },
  { label: 'factor f=1', strategy: () => ({ name: 'factor', factor: 1 }) },
  { label: 'prophet', strategy: (n) => ({ name: 'prophet', steps: n }) },
  { label: 'ascending', strategy: () => ({ name: 'ascending' }) },
];

export const CACHES: readonly CacheMode[] = ['none', 'prefix', 'dual'];

export interface PreparedPrompt {
  readonly promptIds: number[];
  readonly embeddings: SplicedEmbeddings[];
  readonly answer: string;
}

export interface Answer {
  /** The request's prompt length in tokens, media placeholders expanded to their rows. */
  readonly promptTokens: number;
  readonly text: string;
  readonly tokenIds: number[];
  readonly canvas: number[];
  readonly correct: boolean;
  readonly forwardPasses: number;
  readonly ms: number;
}

export interface CellResult {
  readonly strategy: string;
  readonly strategyObject: Record<string, unknown>;
  readonly cache: CacheMode;
  readonly requests: number;
  readonly accuracy: number;
  readonly forwardPassesPerAnswer: number;
  /** Canvas positions resolved per forward pass (committed or filled by end-of-text prediction). */
  readonly tokensPerPass: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  /** Requests per second of this one-client run (sequential). */
  readonly requestsPerSecond: number;
  /** Mean wall time of one LM forward pass (ms) and FLOPs of a pass. */
  readonly passMs: number;
  readonly passFlops: number;
  /** Mean over passes of (pass time) / (pass FLOPs ÷ the achievable matmul rate). */
  readonly floorMultiple: number;
  /** Fraction of answers equal token for token to the same strategy without cache (absent for `none`). */
  agreementWithUncached?: number;
  readonly answers: Answer[];
}

/** What one run of a configuration over some prompts measured, before summarising. */
export interface CellRun {
  readonly answers: Answer[];
  readonly passes: PassRecord[];
  readonly wallS: number;
}

export async function runCell(
  model: CountingModel,
  prompts: readonly PreparedPrompt[],
  strategyCase: StrategyCase,
  cache: CacheMode,
  canvas: number,
  detokenize: (ids: number[]) => string,
  onRequest: () => void,
): Promise<CellRun> {
  const engine = new DecodingEngine(model, { maxBatchSize: 1, detokenize });
  const strategy = strategyCase.strategy(canvas);
  const first = prompts[0];
  if (first) {
    // Warm-up, not counted: a new configuration meets new tensor shapes.
    await engine.generate({
      promptIds: first.promptIds,
      embeddings: first.embeddings,
      maxTokens: canvas,
      strategy,
      cache,
      sampling: { temperature: 0 },
    }).result;
  }
  model.take();
  const answers: Answer[] = [];
  const started = performance.now();
  for (const p of prompts) {
    const t0 = performance.now();
    const r = await engine.generate({
      promptIds: p.promptIds,
      embeddings: p.embeddings,
      maxTokens: canvas,
      strategy,
      cache,
      sampling: { temperature: 0 },
    }).result;
    const ms = performance.now() - t0;
    const text = r.text ?? '';
    answers.push({
      promptTokens: p.promptIds.length,
      text,
      tokenIds: r.tokenIds,
      canvas: r.canvas,
      correct: answersMatch(text, p.answer),
      forwardPasses: r.forwardPasses,
      ms,
    });
    onRequest();
  }
  return { answers, passes: model.take(), wallS: (performance.now() - started) / 1000 };
}

/** One cell's numbers from its runs (rounds over parts of the sample, answers in sample order). */
export function summariseCell(
  strategyCase: StrategyCase,
  cache: CacheMode,
  canvas: number,
  runs: readonly CellRun[],
  flopsPerSecond: number,
): CellResult {
  const answers = runs.flatMap((r) => r.answers);
  const passes = runs.flatMap((r) => r.passes);
  const wall = runs.reduce((s, r) => s + r.wallS, 0);
  const totalPasses = answers.reduce((s, a) => s + a.forwardPasses, 0);
  return {
    strategy: strategyCase.label,
    strategyObject: strategyCase.strategy(canvas),
    cache,
    requests: answers.length,
    accuracy: mean(answers.map((a) => (a.correct ? 1 : 0))),
    forwardPassesPerAnswer: totalPasses / answers.length,
    tokensPerPass: (canvas * answers.length) / totalPasses,
    latencyP50Ms: quantile(
      answers.map((a) => a.ms),
      0.5,
    ),
    latencyP95Ms: quantile(
      answers.map((a) => a.ms),
      0.95,
    ),
    requestsPerSecond: answers.length / wall,
    passMs: mean(passes.map((p) => p.ms)),
    passFlops: mean(passes.map((p) => p.flops)),
    floorMultiple: mean(passes.map((p) => p.ms / 1000 / (p.flops / flopsPerSecond))),
    answers,
  };
}

/** Sets `agreementWithUncached` on every cached cell from the `none` cell of its strategy. */
export function markAgreement(cells: CellResult[]): void {
  for (const cell of cells) {
    if (cell.cache === 'none') continue;
    const base = cells.find((c) => c.strategy === cell.strategy && c.cache === 'none');
    if (!base) continue;
    const same = cell.answers.filter((a, i) => sameTokens(a.canvas, base.answers[i]?.canvas)).length;
    cell.agreementWithUncached = same / cell.answers.length;
  }
}

export function sameTokens(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);
}

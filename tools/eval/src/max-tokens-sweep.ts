/**
 * `max_tokens` as an upper bound, measured: the same fresh evaluation samples answered at each
 * bound (the pipeline chooses the canvas within it: the bundle's trained answer length, or
 * DAEDAL sizing), and, for comparison, on a full canvas of the bound (cut to the positions left
 * after the prompt), as a server that took `max_tokens` as the canvas would decode it. Prints a
 * markdown table (exact match, answers identical to bound 32's, forward passes, canvas) and
 * writes it with the raw numbers when `--out` is given:
 *
 *   node --import tsx tools/eval/src/max-tokens-sweep.ts --model models/default --per-world 50 --out docs/bench/max-tokens
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Unmask, type AskRequest, type AskResult } from '@unmask/pipeline';
import { answersMatch, Rng } from '../../worlds/src/index.js';
import { drawEvalSet, type EvalSample } from './eval-set.js';

export const DEFAULT_BOUNDS = [16, 32, 256, 1024, 4096];
const STRATEGY = { name: 'confident', threshold: 0.9 };

export interface SweepRow {
  readonly bound: number;
  readonly canvas: 'chosen' | 'full';
  readonly exact: number;
  /** Answers identical (as text) to those at bound 32 with the chosen canvas. */
  readonly sameAs32: number;
  readonly forwardPasses: number;
  readonly canvasLength: number;
  readonly finishLength: number;
}

async function answer(unmask: Unmask, s: EvalSample, extra: Partial<AskRequest>): Promise<AskResult> {
  return unmask.ask({
    prompt: s.prompt,
    strategy: STRATEGY,
    ...(s.image ? { images: [s.image] } : {}),
    ...(s.audio ? { audio: [s.audio] } : {}),
    ...extra,
  });
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function sweep(
  unmask: Unmask,
  samples: readonly EvalSample[],
  bounds: readonly number[],
  onProgress?: (label: string) => void,
): Promise<SweepRow[]> {
  const max = unmask.bundle.info.maxPositions;
  const runs: { bound: number; canvas: 'chosen' | 'full'; results: AskResult[] }[] = [];
  // Bounds past the positions left give the same full canvas: decoded once.
  const fullCanvas = new Map<string, AskResult>();
  for (const bound of bounds) {
    onProgress?.(`bound ${bound}, chosen canvas`);
    const chosen: AskResult[] = [];
    for (const s of samples) chosen.push(await answer(unmask, s, { maxTokens: bound }));
    runs.push({ bound, canvas: 'chosen', results: chosen });
    onProgress?.(`bound ${bound}, full canvas`);
    const full: AskResult[] = [];
    for (const [i, s] of samples.entries()) {
      const size = Math.min(bound, max - (chosen[i] as AskResult).promptTokens);
      const key = `${i}:${size}`;
      let result = fullCanvas.get(key);
      if (!result) {
        result = await answer(unmask, s, { maxTokens: size, fixedCanvas: true });
        fullCanvas.set(key, result);
      }
      full.push(result);
    }
    runs.push({ bound, canvas: 'full', results: full });
  }
  const reference = runs.find((r) => r.bound === 32 && r.canvas === 'chosen')?.results;
  return runs.map(({ bound, canvas, results }) => ({
    bound,
    canvas,
    exact: mean(results.map((r, i) => (answersMatch(r.text, (samples[i] as EvalSample).answer) ? 1 : 0))),
    sameAs32: reference ? mean(results.map((r, i) => (r.text === reference[i]?.text ? 1 : 0))) : Number.NaN,
    forwardPasses: mean(results.map((r) => r.forwardPasses)),
    canvasLength: mean(results.map((r) => r.canvasLength)),
    finishLength: mean(results.map((r) => (r.finishReason === 'length' ? 1 : 0))),
  }));
}

const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)}%`);

export function renderSweep(rows: readonly SweepRow[], header: string): string {
  return [
    header,
    '',
    '| max_tokens | canvas | exact match | same answer as 32 | forward passes | canvas positions | finish_reason length |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.bound} | ${r.canvas === 'chosen' ? 'chosen within the bound' : 'full (the bound, cut to the positions left)'} | ${pct(r.exact)} | ${pct(r.sameAs32)} | ${r.forwardPasses.toFixed(2)} | ${r.canvasLength.toFixed(1)} | ${pct(r.finishLength)} |`,
    ),
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'models/default' },
      'per-world': { type: 'string', default: '50' },
      seed: { type: 'string', default: '90101' },
      bounds: { type: 'string', default: DEFAULT_BOUNDS.join(',') },
      out: { type: 'string' },
    },
  });
  const perWorld = Number(values['per-world']);
  const seed = Number(values.seed);
  const bounds = String(values.bounds).split(',').map(Number);
  if (!Number.isInteger(perWorld) || perWorld < 1 || bounds.some((b) => !Number.isInteger(b) || b < 1)) {
    process.stderr.write(
      'usage: max-tokens-sweep.ts --model DIR --per-world N [--seed N] [--bounds 16,32,...] [--out DIR]\n',
    );
    return 2;
  }
  const started = performance.now();
  const samples = await drawEvalSet({ perWorld, rng: new Rng(seed) });
  const unmask = await Unmask.load(resolve(values.model));
  let rows: SweepRow[];
  try {
    rows = await sweep(unmask, samples, bounds, (label) => process.stderr.write(`${label}\n`));
  } finally {
    await unmask.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const markdown = renderSweep(
    rows,
    `# max_tokens sweep: ${values.model}\n\n${samples.length} fresh samples (${perWorld} per world, seed ${seed}) from the worlds spec, confident decoding τ 0.9, answered through @unmask/pipeline's Unmask.ask; ${seconds.toFixed(0)} s.`,
  );
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'report.md'), markdown);
    writeFileSync(
      join(values.out, 'report.json'),
      `${JSON.stringify({ model: values.model, seed, perWorld, samples: samples.length, seconds, rows }, null, 1)}\n`,
    );
  }
  process.stdout.write(markdown);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));

/**
 * Evaluates a model bundle on fresh samples from the worlds spec, through @unmask/pipeline's
 * `Unmask` exactly as users call it, and writes report.md + report.json:
 *
 *   node --import tsx tools/eval/src/evaluate.ts --model models/default --per-world 500 --seed 90001 --out models/default/eval
 *
 * Each sample is answered twice: confident decoding at τ 0.9 (the default) and one token per step
 * (low-confidence remasking, steps = canvas length), with a 32-position canvas.
 * `--heldout-per-world N` adds N samples per world in held-out wordings; `--types intent,...` keeps
 * only those task types (a bigger sample of one figure for less time: `--per-world 3
 * --heldout-per-world 1000 --types intent` answers 333 held-out commands). `--resampling nearest`
 * draws the very same samples with every clip decimated by nearest sample (aliasing, as naive
 * resamplers do), to read beside the default run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Unmask, type AskRequest } from '@unmask/pipeline';
import { answersMatch, Rng, TASK_TYPES, type TaskType } from '../../worlds/src/index.js';
import { drawEvalSet, type EvalSample } from './eval-set.js';
import {
  qualityBar,
  refusalRate,
  refusalsByKind,
  scoreStrategy,
  wholeness,
  wordingBar,
  type Scored,
} from './metrics.js';
import { renderMarkdown, type EvalReport } from './report.js';

export const STRATEGIES = {
  'tau0.9': { name: 'confident', threshold: 0.9 },
  greedy: { name: 'low_confidence', steps: 32 },
} as const;

async function pool<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

export async function answerAll(
  unmask: Unmask,
  samples: readonly EvalSample[],
  strategy: unknown,
  onDone?: (n: number) => void,
): Promise<Scored[]> {
  let done = 0;
  return pool(samples, 8, async (s) => {
    const request: AskRequest = {
      prompt: s.prompt,
      maxTokens: 32,
      strategy,
      ...(s.image ? { images: [s.image] } : {}),
      ...(s.audio ? { audio: [s.audio] } : {}),
    };
    const r = await unmask.ask(request);
    onDone?.(++done);
    return {
      type: s.type,
      world: s.world,
      set: s.set,
      ...(s.detail ? { detail: s.detail } : {}),
      answer: s.answer,
      predicted: r.text,
      forwardPasses: r.forwardPasses,
      answerTokens: unmask.bundle.tokenizer.encode(s.answer).length,
      ...(r.decodedAgain ? { decodedAgain: true } : {}),
    };
  });
}

function byMedia(samples: readonly EvalSample[], rows: readonly Scored[]): EvalReport['byMedia'] {
  const out: EvalReport['byMedia'] = {};
  samples.forEach((s, i) => {
    const right = answersMatch((rows[i] as Scored).predicted, s.answer) ? 1 : 0;
    for (const key of ['renderer', 'format']) {
      const v = s.media[key];
      if (v === undefined) continue;
      const slot = ((out[key] ??= {})[String(v)] ??= { n: 0, exact: 0 });
      slot.exact = (slot.exact * slot.n + right) / (slot.n + 1);
      slot.n += 1;
    }
  });
  return out;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'models/default' },
      'per-world': { type: 'string', default: '500' },
      'heldout-per-world': { type: 'string', default: '0' },
      types: { type: 'string' },
      seed: { type: 'string', default: '90001' },
      out: { type: 'string' },
      'save-predictions': { type: 'boolean', default: false },
      resampling: { type: 'string', default: 'band-limited' },
    },
  });
  const perWorld = Number(values['per-world']);
  const heldoutPerWorld = Number(values['heldout-per-world']);
  const seed = Number(values.seed);
  const types = values.types?.split(',').map((t) => t.trim());
  const unknown = types?.filter((t) => !(TASK_TYPES as readonly string[]).includes(t));
  if (unknown && unknown.length > 0) {
    process.stderr.write(`--types: unknown task type ${unknown.join(', ')} (known: ${TASK_TYPES.join(', ')})\n`);
    return 2;
  }
  const resampling = values.resampling;
  if (resampling !== 'band-limited' && resampling !== 'nearest') {
    process.stderr.write(`--resampling: band-limited or nearest, got ${resampling}\n`);
    return 2;
  }
  if (
    !Number.isInteger(perWorld) ||
    perWorld < 1 ||
    !Number.isInteger(heldoutPerWorld) ||
    heldoutPerWorld < 0 ||
    !Number.isInteger(seed) ||
    !values.out
  ) {
    process.stderr.write(
      'usage: evaluate.ts --model DIR --per-world N [--heldout-per-world N] [--types T,...] --seed N --out DIR [--save-predictions] [--resampling nearest]\n',
    );
    return 2;
  }
  const started = performance.now();
  const progress = (label: string) => (done: number, total: number) => {
    if (done % 50 === 0 || done === total)
      process.stderr.write(`\r${label}: ${done}/${total}${done === total ? '\n' : ''}`);
  };
  const samples = await drawEvalSet({
    perWorld,
    heldoutPerWorld,
    ...(types ? { types: types as TaskType[] } : {}),
    rng: new Rng(seed),
    resampling,
    onProgress: progress('drawing samples'),
  });
  const unmask = await Unmask.load(resolve(values.model));
  const strategies: EvalReport['strategies'] = {};
  const heldout: EvalReport['strategies'] = {};
  const refusals: EvalReport['refusalRate'] = {};
  const rows: Record<string, Scored[]> = {};
  const table = samples.filter((s) => s.set === 'table');
  try {
    for (const [name, strategy] of Object.entries(STRATEGIES)) {
      rows[name] = await answerAll(unmask, samples, strategy, (n) =>
        progress(`answering (${name})`)(n, samples.length),
      );
      const tableRows = rows[name].filter((r) => r.set === 'table');
      const heldRows = rows[name].filter((r) => r.set === 'heldout');
      strategies[name] = scoreStrategy(tableRows);
      if (heldRows.length > 0) heldout[name] = scoreStrategy(heldRows);
      refusals[name] = refusalRate(tableRows);
    }
  } finally {
    await unmask.close();
  }
  const confident = rows['tau0.9']!;
  const report: EvalReport = {
    model: values.model,
    seed,
    perWorld,
    samples: samples.length,
    seconds: (performance.now() - started) / 1000,
    strategies,
    refusalRate: refusals,
    bar: qualityBar(strategies['tau0.9']!, strategies.greedy!),
    wordingBar: wordingBar(
      confident.filter((r) => r.set === 'table'),
      confident.filter((r) => r.set === 'heldout'),
    ),
    heldoutPerWorld,
    heldout,
    refusalsByKind: refusalsByKind(confident),
    wholeness: wholeness(confident),
    byMedia: byMedia(
      table,
      confident.filter((r) => r.set === 'table'),
    ),
    ...(resampling === 'nearest' ? { resampling } : {}),
  };
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(join(values.out, 'report.md'), renderMarkdown(report));
  if (values['save-predictions']) {
    const lines = samples.map((s, i) =>
      JSON.stringify({
        type: s.type,
        set: s.set,
        ...(s.detail ? { detail: s.detail } : {}),
        prompt: s.prompt,
        answer: s.answer,
        media: s.media,
        ...Object.fromEntries(Object.entries(rows).map(([n, r]) => [n, r[i]!.predicted])),
      }),
    );
    writeFileSync(join(values.out, 'predictions.jsonl'), `${lines.join('\n')}\n`);
  }
  process.stdout.write(renderMarkdown(report));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));

/**
 * The CI quick accuracy check's arithmetic: per-world thresholds checked against a strategy's
 * score (metrics.ts), and the per-type table printed into the CI log. quick-check.test.ts holds the
 * threshold values and runs the bundle.
 */
import { z } from 'zod';
import { SHAPE_QUESTION_TYPES } from '../../worlds/src/index.js';
import type { StrategyScore } from './metrics.js';

const share = z.number().gt(0).max(1);

/** What the bundle must reach on the quick sample, per world: exact-match shares and the largest transcript WER. */
export const quickCheckThresholdsSchema = z.object({
  shapes: z.object({
    /** Exact match over the six short-answer question types, pooled. */
    exact: share,
    /** `describe the image`: the object list exactly right. */
    describe: share,
  }),
  home: z.object({
    intent: share,
    respond: share,
    /** Largest mean word error rate of the transcripts. */
    transcriptWer: z.number().min(0).lt(1),
  }),
  both: z.object({
    /** Spoken questions about an image. */
    spokenQuestion: share,
  }),
  refusal: z.object({
    /** Out-of-spec (or media-less) prompts answered with the refusal. */
    refused: share,
  }),
  /** The held-out wordings (items of set `heldout`); checked when given. */
  heldout: z
    .object({
      /** Exact match over the seven shapes question types, pooled. */
      shapes: share,
      intent: share,
      refused: share,
    })
    .optional(),
});
export type QuickCheckThresholds = z.infer<typeof quickCheckThresholdsSchema>;

export interface ThresholdCheck {
  readonly world: string;
  readonly name: string;
  readonly n: number;
  readonly value: number;
  readonly target: string;
  readonly pass: boolean;
}

const SHORT_ANSWER_TYPES = SHAPE_QUESTION_TYPES.filter((t) => t !== 'describe');

/**
 * Checks the scores of the tables' set and of the held-out set against the thresholds; a type with
 * no items counts as 0 (and fails).
 */
export function checkQuickThresholds(
  score: StrategyScore,
  thresholds: QuickCheckThresholds,
  heldout?: StrategyScore,
): ThresholdCheck[] {
  const t = quickCheckThresholdsSchema.parse(thresholds);
  const type = (name: string) => score.byType[name];
  const atLeast = (
    world: string,
    name: string,
    types: readonly string[],
    target: number,
    from: StrategyScore | undefined,
  ): ThresholdCheck => {
    const scores = types.map((n) => from?.byType[n]).filter((s) => s !== undefined);
    const n = scores.reduce((a, s) => a + s.n, 0);
    const value = n === 0 ? 0 : scores.reduce((a, s) => a + s.exact * s.n, 0) / n;
    return { world, name, n, value, target: `≥ ${pct(target)}`, pass: n > 0 && value >= target - 1e-9 };
  };
  const transcribe = type('transcribe');
  const wer = transcribe?.wer ?? 1;
  return [
    atLeast('shapes', `exact match, ${SHORT_ANSWER_TYPES.join(' / ')}`, SHORT_ANSWER_TYPES, t.shapes.exact, score),
    atLeast('shapes', 'describe: object list exact', ['describe'], t.shapes.describe, score),
    atLeast('home', 'intent exact match', ['intent'], t.home.intent, score),
    atLeast('home', 'response exact match', ['respond'], t.home.respond, score),
    {
      world: 'home',
      name: 'transcript word error rate',
      n: transcribe?.n ?? 0,
      value: wer,
      target: `≤ ${pct(t.home.transcriptWer)}`,
      pass: transcribe !== undefined && wer <= t.home.transcriptWer + 1e-9,
    },
    atLeast('both', 'spoken questions about an image', ['spoken_question'], t.both.spokenQuestion, score),
    atLeast('refusal', 'out-of-spec prompts refused', ['refusal'], t.refusal.refused, score),
    ...(t.heldout
      ? [
          atLeast('heldout', 'shapes questions in held-out wordings', SHAPE_QUESTION_TYPES, t.heldout.shapes, heldout),
          atLeast('heldout', 'intent with held-out prompts and commands', ['intent'], t.heldout.intent, heldout),
          atLeast('heldout', 'held-out prompts refused', ['refusal'], t.heldout.refused, heldout),
        ]
      : []),
  ];
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** A plain-text table for the CI log: per task type, then the threshold checks. */
export function quickCheckTable(score: StrategyScore, checks: readonly ThresholdCheck[]): string {
  const rows: string[][] = [['type', 'n', 'exact', 'WER', 'forwards/answer', 'answer tokens']];
  for (const [type, s] of Object.entries(score.byType)) {
    rows.push([
      type,
      String(s.n),
      pct(s.exact),
      s.wer === undefined ? '' : pct(s.wer),
      s.forwardsPerAnswer.toFixed(2),
      s.answerTokens.toFixed(1),
    ]);
  }
  const o = score.overall;
  rows.push(['all', String(o.n), pct(o.exact), '', o.forwardsPerAnswer.toFixed(2), o.answerTokens.toFixed(1)]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [
    ...rows.map(line),
    '',
    ...checks.map(
      (c) => `${c.pass ? 'pass' : 'MISS'}  ${c.world}: ${c.name} (n ${c.n}): ${pct(c.value)}, target ${c.target}`,
    ),
  ].join('\n');
}

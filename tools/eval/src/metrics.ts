/**
 * Scores answers against the quality bar of issue 4: exact match (after the spec's normalisation)
 * per task type, transcript word error rate, refusal rate, and forward passes per answer token under
 * each decoding strategy.
 */
import { answersMatch, REFUSAL, wordErrorRate, type TaskType } from '../../worlds/src/index.js';
import type { World } from './eval-set.js';

export interface Scored {
  readonly type: TaskType;
  readonly world: World;
  readonly answer: string;
  readonly predicted: string;
  /** Forward passes the decode took. */
  readonly forwardPasses: number;
  /** Tokens of the expected answer (the bundle's tokenizer). */
  readonly answerTokens: number;
}

export interface TypeScore {
  readonly n: number;
  readonly exact: number;
  /** Mean word error rate (transcribe only). */
  readonly wer?: number;
  readonly forwardsPerAnswer: number;
  readonly answerTokens: number;
}

export interface StrategyScore {
  readonly byType: Record<string, TypeScore>;
  readonly overall: { n: number; exact: number; forwardsPerAnswer: number; answerTokens: number; forwardRatio: number };
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export function scoreStrategy(rows: readonly Scored[]): StrategyScore {
  const byType: Record<string, TypeScore> = {};
  const types = [...new Set(rows.map((r) => r.type))].sort();
  for (const t of types) {
    const rs = rows.filter((r) => r.type === t);
    byType[t] = {
      n: rs.length,
      exact: mean(rs.map((r) => (answersMatch(r.predicted, r.answer) ? 1 : 0))),
      ...(t === 'transcribe' ? { wer: mean(rs.map((r) => wordErrorRate(r.predicted, r.answer))) } : {}),
      forwardsPerAnswer: mean(rs.map((r) => r.forwardPasses)),
      answerTokens: mean(rs.map((r) => r.answerTokens)),
    };
  }
  const forwards = mean(rows.map((r) => r.forwardPasses));
  const tokens = mean(rows.map((r) => r.answerTokens));
  return {
    byType,
    overall: {
      n: rows.length,
      exact: mean(rows.map((r) => (answersMatch(r.predicted, r.answer) ? 1 : 0))),
      forwardsPerAnswer: forwards,
      answerTokens: tokens,
      forwardRatio: tokens === 0 ? 0 : forwards / tokens,
    },
  };
}

export interface BarCheck {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  readonly pass: boolean;
}

/** The quality bar, checked on the score of the default strategy (confident, τ 0.9) and the one-token-per-step baseline. */
export function qualityBar(confident: StrategyScore, greedy: StrategyScore): BarCheck[] {
  const get = (s: StrategyScore, t: string) => s.byType[t];
  const checks: BarCheck[] = [];
  const atLeast = (name: string, value: number | undefined, target: number) => {
    if (value !== undefined) checks.push({ name, value, target: `≥ ${target * 100}%`, pass: value >= target });
  };
  for (const [t, s] of Object.entries(confident.byType)) {
    if (['color_of_shape', 'shape_of_color', 'count_all', 'count_color', 'exists', 'where'].includes(t))
      atLeast(`shapes: ${t}`, s.exact, 0.97);
  }
  atLeast('shapes: describe (object list exact)', get(confident, 'describe')?.exact, 0.9);
  atLeast('home: intent exact match', get(confident, 'intent')?.exact, 0.97);
  const wer = get(confident, 'transcribe')?.wer;
  if (wer !== undefined) checks.push({ name: 'home: transcript WER', value: wer, target: '≤ 5%', pass: wer <= 0.05 });
  atLeast('home: response exact match', get(confident, 'respond')?.exact, 0.95);
  atLeast('spoken questions about images', get(confident, 'spoken_question')?.exact, 0.9);
  atLeast('refusal of out-of-spec prompts', get(confident, 'refusal')?.exact, 0.99);
  const ratio = confident.overall.forwardRatio;
  checks.push({
    name: 'forward passes per answer / answer length (τ 0.9)',
    value: ratio,
    target: '≤ 0.333',
    pass: ratio <= 1 / 3,
  });
  const gap = greedy.overall.exact - confident.overall.exact;
  checks.push({
    name: 'accuracy drop of τ 0.9 vs one token per step (points)',
    value: gap * 100,
    target: '≤ 1',
    pass: gap * 100 <= 1 + 1e-9,
  });
  return checks;
}

/** Share of answers that are the refusal, per world (how often in-scope requests get refused too). */
export function refusalRate(rows: readonly Scored[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of [...new Set(rows.map((r) => r.world))].sort()) {
    const rs = rows.filter((r) => r.world === w);
    out[w] = mean(rs.map((r) => (answersMatch(r.predicted, REFUSAL) ? 1 : 0)));
  }
  return out;
}

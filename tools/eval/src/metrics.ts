/**
 * Scores answers against the quality bar of issue 4: exact match (after the spec's normalisation)
 * per task type, transcript word error rate, refusal rate, and forward passes per answer token under
 * each decoding strategy.
 */
import { answersMatch, normaliseText, REFUSAL, wordErrorRate, type TaskType } from '../../worlds/src/index.js';
import type { WordingSet, World } from './eval-set.js';

export interface Scored {
  readonly type: TaskType;
  readonly world: World;
  readonly set: WordingSet;
  /** Refusal kind, or the held-out set's command wordings (eval-set.ts). */
  readonly detail?: string;
  readonly answer: string;
  readonly predicted: string;
  /** Forward passes the decode took. */
  readonly forwardPasses: number;
  /** Tokens of the expected answer (the bundle's tokenizer). */
  readonly answerTokens: number;
  /** Whether the pipeline's whole-answer check decoded the answer again (`AskResult.decodedAgain`). */
  readonly decodedAgain?: boolean;
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

const SHAPE_TYPES = ['color_of_shape', 'shape_of_color', 'count_all', 'count_color', 'exists', 'where'];

/** Exact match over the rows of the given types (pooled). */
export function pooledExact(rows: readonly Scored[], types: readonly string[]): { n: number; exact: number } {
  const rs = rows.filter((r) => types.includes(r.type));
  return { n: rs.length, exact: mean(rs.map((r) => (answersMatch(r.predicted, r.answer) ? 1 : 0))) };
}

/**
 * An answer that is neither whole nor the refusal: empty, or a piece of the refusal (`i yes`,
 * `i can only circle`) where no answer of the task starts with `i` (transcripts may).
 */
export function isFragment(row: Scored): boolean {
  const p = normaliseText(row.predicted);
  if (p === '') return true;
  if (p === normaliseText(REFUSAL)) return false;
  const refusalWords = new Set(normaliseText(REFUSAL).split(' '));
  const words = p.split(' ');
  const looksRefused = p.includes('can only') || p.includes('smart home voice') || p.includes('questions about');
  const startsWithI = words[0] === 'i' && row.type !== 'transcribe';
  return looksRefused || (startsWithI && words.some((w) => refusalWords.has(w)));
}

/** Fragments and refusals of in-scope prompts, per wording set. */
export function wholeness(
  rows: readonly Scored[],
): Record<string, { n: number; fragments: number; decodedAgain: number; inScopeRefused: number; inScope: number }> {
  const out: Record<
    string,
    { n: number; fragments: number; decodedAgain: number; inScopeRefused: number; inScope: number }
  > = {};
  for (const set of [...new Set(rows.map((r) => r.set))].sort()) {
    const rs = rows.filter((r) => r.set === set);
    const inScope = rs.filter((r) => r.type !== 'refusal');
    out[set] = {
      n: rs.length,
      fragments: rs.filter(isFragment).length,
      decodedAgain: rs.filter((r) => r.decodedAgain).length,
      inScope: inScope.length,
      inScopeRefused: inScope.filter((r) => answersMatch(r.predicted, REFUSAL)).length,
    };
  }
  return out;
}

/** Refusals given to the prompts that must be refused, per wording set and refusal kind. */
export function refusalsByKind(
  rows: readonly Scored[],
): Record<string, Record<string, { n: number; refused: number }>> {
  const out: Record<string, Record<string, { n: number; refused: number }>> = {};
  for (const r of rows) {
    if (r.type !== 'refusal') continue;
    const slot = ((out[r.set] ??= {})[r.detail ?? 'unknown'] ??= { n: 0, refused: 0 });
    slot.n += 1;
    if (answersMatch(r.predicted, REFUSAL)) slot.refused += 1;
  }
  return out;
}

/**
 * Issue 16's bar: held-out wordings (shapes questions pooled, intent), refusals of both sets, no
 * in-scope prompt refused, no fragment, and the figures on unseen media kept (shapes pooled, describe,
 * intent, transcript WER, spoken questions).
 */
export function wordingBar(table: readonly Scored[], heldout: readonly Scored[]): BarCheck[] {
  const checks: BarCheck[] = [];
  const atLeast = (name: string, value: number, target: number, n: number) => {
    if (n > 0) checks.push({ name, value, target: `≥ ${target * 100}%`, pass: value >= target });
  };
  const ex = (rows: readonly Scored[], types: string[]) => pooledExact(rows, types);
  let p = ex(heldout, [...SHAPE_TYPES, 'describe']);
  atLeast('held-out wordings: shapes questions (7 types pooled)', p.exact, 0.9, p.n);
  p = ex(heldout, ['intent']);
  atLeast('held-out wordings: intent', p.exact, 0.95, p.n);
  p = ex(table, ['refusal']);
  atLeast('refusals (trained kinds)', p.exact, 0.99, p.n);
  p = ex(heldout, ['refusal']);
  atLeast('refusals (held-out prompts)', p.exact, 0.99, p.n);
  const whole = wholeness([...table, ...heldout]);
  const refused = Object.values(whole).reduce((n, w) => n + w.inScopeRefused, 0);
  const fragments = Object.values(whole).reduce((n, w) => n + w.fragments, 0);
  checks.push({
    name: 'in-scope prompts refused (both sets, count)',
    value: refused,
    target: '0',
    pass: refused === 0,
  });
  checks.push({
    name: 'answers neither whole nor the refusal (both sets, count)',
    value: fragments,
    target: '0',
    pass: fragments === 0,
  });
  p = ex(table, SHAPE_TYPES);
  atLeast('shapes: six short-answer types pooled', p.exact, 0.99, p.n);
  p = ex(table, ['describe']);
  atLeast('shapes: describe', p.exact, 0.97, p.n);
  p = ex(table, ['intent']);
  atLeast('home: intent', p.exact, 0.97, p.n);
  const tr = table.filter((r) => r.type === 'transcribe');
  if (tr.length > 0) {
    const wer = mean(tr.map((r) => wordErrorRate(r.predicted, r.answer)));
    checks.push({ name: 'home: transcript WER', value: wer, target: '≤ 2.5%', pass: wer <= 0.025 });
  }
  p = ex(table, ['spoken_question']);
  atLeast('spoken questions about images', p.exact, 0.95, p.n);
  return checks;
}

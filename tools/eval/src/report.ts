/** The evaluation report: markdown for people, JSON for tools. */
import type { BarCheck, refusalsByKind, StrategyScore, wholeness } from './metrics.js';

export interface EvalReport {
  readonly model: string;
  readonly seed: number;
  readonly perWorld: number;
  readonly samples: number;
  readonly seconds: number;
  readonly strategies: Record<string, StrategyScore>;
  readonly refusalRate: Record<string, Record<string, number>>;
  readonly bar: BarCheck[];
  /** Issue 16's bar: held-out wordings, refusals, wholeness, figures on unseen media. */
  readonly wordingBar?: BarCheck[];
  readonly heldoutPerWorld?: number;
  /** The held-out wordings' scores, per strategy. */
  readonly heldout?: Record<string, StrategyScore>;
  readonly refusalsByKind?: ReturnType<typeof refusalsByKind>;
  readonly wholeness?: ReturnType<typeof wholeness>;
  readonly byMedia: Record<string, Record<string, { n: number; exact: number }>>;
  /** `nearest`: every clip was decimated by nearest sample (aliasing; evaluate.ts --resampling). */
  readonly resampling?: 'band-limited' | 'nearest';
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A bar's value: a count (its name ends in "count)"), a ratio or points, else a share. */
export const barValue = (b: BarCheck) =>
  b.name.endsWith('count)')
    ? String(b.value)
    : b.name.includes('points') || b.name.includes('/')
      ? b.value.toFixed(2)
      : pct(b.value);

const barRows = (bar: readonly BarCheck[]) =>
  bar.map((b) => `| ${b.name} | ${barValue(b)} | ${b.target} | ${b.pass ? 'pass' : '**miss**'} |`);

function typeTable(strategies: Record<string, StrategyScore>): string[] {
  const names = Object.keys(strategies);
  const types = [...new Set(names.flatMap((n) => Object.keys(strategies[n]!.byType)))].sort();
  return [
    `| type | n | ${names.map((n) => `${n} exact | ${n} forwards`).join(' | ')} | answer tokens |`,
    `| --- | --- | ${names.map(() => '--- | ---').join(' | ')} | --- |`,
    ...types.map((t) => {
      const first = strategies[names[0]!]!.byType[t]!;
      const cells = names.map((n) => {
        const s = strategies[n]!.byType[t];
        return s
          ? `${pct(s.exact)}${s.wer !== undefined ? ` (WER ${pct(s.wer)})` : ''} | ${s.forwardsPerAnswer.toFixed(2)}`
          : '– | –';
      });
      return `| ${t} | ${first.n} | ${cells.join(' | ')} | ${first.answerTokens.toFixed(1)} |`;
    }),
    `| **all** | ${strategies[names[0]!]!.overall.n} | ${names
      .map((n) => `${pct(strategies[n]!.overall.exact)} | ${strategies[n]!.overall.forwardsPerAnswer.toFixed(2)}`)
      .join(' | ')} | ${strategies[names[0]!]!.overall.answerTokens.toFixed(1)} |`,
  ];
}

function wordingSections(r: EvalReport): string[] {
  if (!r.wordingBar) return [];
  const out = [
    '## Wordings, refusals and whole answers (issue 16), τ 0.9',
    '',
    "The table set words every prompt and command as docs/worlds.md's tables do; the held-out set",
    `(${r.heldoutPerWorld ?? 0} per world) uses wordings, spoken commands and refusal prompts never trained on.`,
    '',
    '| check | value | target | |',
    '| --- | --- | --- | --- |',
    ...barRows(r.wordingBar),
    '',
  ];
  if (r.heldout && Object.keys(r.heldout).length > 0)
    out.push('## Held-out wordings, per task type', '', ...typeTable(r.heldout), '');
  if (r.refusalsByKind) {
    out.push('## Refusals by kind of prompt (τ 0.9)', '', '| set | kind | n | refused |', '| --- | --- | --- | --- |');
    for (const [set, kinds] of Object.entries(r.refusalsByKind))
      for (const [kind, v] of Object.entries(kinds).sort())
        out.push(`| ${set} | ${kind} | ${v.n} | ${pct(v.refused / v.n)} |`);
    out.push('');
  }
  if (r.wholeness) {
    out.push(
      '## Whole answers (τ 0.9)',
      '',
      '| set | answers | fragments (empty, or a piece of the refusal) | decoded again (whole-answer check) | in-scope prompts | of them refused |',
      '| --- | --- | --- | --- | --- | --- |',
      ...Object.entries(r.wholeness).map(
        ([set, w]) => `| ${set} | ${w.n} | ${w.fragments} | ${w.decodedAgain} | ${w.inScope} | ${w.inScopeRefused} |`,
      ),
      '',
    );
  }
  return out;
}

export function renderMarkdown(r: EvalReport): string {
  const names = Object.keys(r.strategies);
  const lines = [
    `# Evaluation of ${r.model}`,
    '',
    `${r.samples} fresh samples (${r.perWorld} per world in the tables' wordings${r.heldoutPerWorld ? `, ${r.heldoutPerWorld} per world in held-out wordings` : ''}, seed ${r.seed}), drawn from the worlds spec by tools/eval; ${r.seconds.toFixed(0)} s.${r.resampling === 'nearest' ? ' Every clip resampled by nearest sample (aliasing), not band-limited.' : ''}`,
    'Exact match after the spec normalisation (lower case, punctuation removed, whitespace collapsed).',
    '',
    '## Quality bar (issue 4), confident decoding τ 0.9',
    '',
    '| check | value | target | |',
    '| --- | --- | --- | --- |',
    ...barRows(r.bar),
    '',
    ...wordingSections(r),
    '## Per task type (table set)',
    '',
    ...typeTable(r.strategies),
    '',
    'Forward passes per answer over answer tokens: ' +
      names.map((n) => `${n} ${r.strategies[n]!.overall.forwardRatio.toFixed(2)}`).join(', ') +
      ' (the answer canvas is 32 positions; a committed EOS fills the rest).',
    '',
    '## Refusals given, per world (τ 0.9)',
    '',
    '| world | share of answers that are the refusal |',
    '| --- | --- |',
    ...Object.entries(r.refusalRate[names[0]!] ?? {}).map(([w, v]) => `| ${w} | ${pct(v)} |`),
    '',
    '## By media variant (τ 0.9, exact match)',
    '',
    '| media | variant | n | exact |',
    '| --- | --- | --- | --- |',
    ...Object.entries(r.byMedia).flatMap(([k, vs]) =>
      Object.entries(vs)
        .sort()
        .map(([v, s]) => `| ${k} | ${v} | ${s.n} | ${pct(s.exact)} |`),
    ),
    '',
  ];
  return lines.join('\n');
}

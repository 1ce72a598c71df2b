/** The evaluation report: markdown for people, JSON for tools. */
import type { BarCheck, StrategyScore } from './metrics.js';

export interface EvalReport {
  readonly model: string;
  readonly seed: number;
  readonly perWorld: number;
  readonly samples: number;
  readonly seconds: number;
  readonly strategies: Record<string, StrategyScore>;
  readonly refusalRate: Record<string, Record<string, number>>;
  readonly bar: BarCheck[];
  readonly byMedia: Record<string, Record<string, { n: number; exact: number }>>;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function renderMarkdown(r: EvalReport): string {
  const names = Object.keys(r.strategies);
  const types = [...new Set(names.flatMap((n) => Object.keys(r.strategies[n]!.byType)))].sort();
  const lines = [
    `# Evaluation of ${r.model}`,
    '',
    `${r.samples} fresh samples (${r.perWorld} per world, seed ${r.seed}), drawn from the worlds spec by tools/eval; ${r.seconds.toFixed(0)} s.`,
    'Exact match after the spec normalisation (lower case, punctuation removed, whitespace collapsed).',
    '',
    '## Quality bar (issue 4), confident decoding τ 0.9',
    '',
    '| check | value | target | |',
    '| --- | --- | --- | --- |',
    ...r.bar.map(
      (b) =>
        `| ${b.name} | ${b.name.includes('points') || b.name.includes('/') ? b.value.toFixed(2) : pct(b.value)} | ${b.target} | ${b.pass ? 'pass' : '**miss**'} |`,
    ),
    '',
    '## Per task type',
    '',
    `| type | n | ${names.map((n) => `${n} exact | ${n} forwards`).join(' | ')} | answer tokens |`,
    `| --- | --- | ${names.map(() => '--- | ---').join(' | ')} | --- |`,
    ...types.map((t) => {
      const first = r.strategies[names[0]!]!.byType[t]!;
      const cells = names.map((n) => {
        const s = r.strategies[n]!.byType[t];
        return s
          ? `${pct(s.exact)}${s.wer !== undefined ? ` (WER ${pct(s.wer)})` : ''} | ${s.forwardsPerAnswer.toFixed(2)}`
          : '– | –';
      });
      return `| ${t} | ${first.n} | ${cells.join(' | ')} | ${first.answerTokens.toFixed(1)} |`;
    }),
    `| **all** | ${r.strategies[names[0]!]!.overall.n} | ${names
      .map((n) => `${pct(r.strategies[n]!.overall.exact)} | ${r.strategies[n]!.overall.forwardsPerAnswer.toFixed(2)}`)
      .join(' | ')} | ${r.strategies[names[0]!]!.overall.answerTokens.toFixed(1)} |`,
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

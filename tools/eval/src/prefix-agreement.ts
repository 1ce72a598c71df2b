/**
 * The cross-request prefix cache on a trained model: pairs of different questions about the same
 * image (shapes-world scenes, each rendered once as the raster renderer's PNG), asked through
 * @unmask/pipeline exactly as users call it, with `cache: 'prefix'`:
 *   - cached: an `Unmask` with `prefixCacheBytes` (the image's prefix is computed over itself alone
 *     for the first question, a miss, and reused by the second, a hit);
 *   - uncached: the same requests on an `Unmask` without it (the per-request prompt cache only);
 *   - none: `cache: 'none'` (the fully bidirectional path), for scale.
 * Writes the share of answers identical token for token and each path's accuracy, per strategy.
 *
 *   node --import tsx tools/eval/src/prefix-agreement.ts [--model models/default] [--pairs 60] [--seed 18001] [--out DIR]
 *     [--context prefix|request]
 * `--context`: what the cached path computes the image's prefix over when first seen (the engine's
 * `sharedPrefixContext`): the prefix alone (default) or the first question's whole prompt and canvas.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DecodingEngine, PrefixCache } from '@unmask/core';
import { Unmask, type AskRequest } from '@unmask/pipeline';
import {
  answersMatch,
  renderRaster,
  Rng,
  sampleExample,
  sampleScene,
  SHAPE_QUESTION_TYPES,
  type Example,
} from '../../worlds/src/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/default' },
    pairs: { type: 'string', default: '60' },
    seed: { type: 'string', default: '18001' },
    out: { type: 'string', default: 'tmp/prefix-agreement' },
    context: { type: 'string', default: 'prefix' },
  },
});
const context = values.context;
if (context !== 'prefix' && context !== 'request')
  throw new Error(`--context must be prefix or request, got ${context}`);
const pairs = Number(values.pairs);
const STRATEGIES = {
  greedy: { name: 'low_confidence', steps: 32 },
  'tau0.9': { name: 'confident', threshold: 0.9 },
} as const;

/** Two questions of different types about one scene, and its image. */
interface Pair {
  readonly image: Uint8Array;
  readonly questions: readonly [Example, Example];
}
const rng = new Rng(Number(values.seed));
const drawn: Pair[] = [];
for (let i = 0; i < pairs; i++) {
  const scene = sampleScene(rng);
  const [first, second] = rng.shuffle([...SHAPE_QUESTION_TYPES]).slice(0, 2) as [
    (typeof SHAPE_QUESTION_TYPES)[number],
    (typeof SHAPE_QUESTION_TYPES)[number],
  ];
  drawn.push({
    image: await renderRaster(scene),
    questions: [sampleExample(rng, first, { scene }), sampleExample(rng, second, { scene })],
  });
}

const cachedModel = await Unmask.load(values.model, { prefixCacheBytes: 64 * 2 ** 20, sharedPrefixContext: context });
const plainModel = await Unmask.load(values.model);
const ask = async (unmask: Unmask, pair: Pair, e: Example, strategy: unknown, cache: 'prefix' | 'none') => {
  const request: AskRequest = { prompt: e.prompt, images: [pair.image], maxTokens: 32, strategy, cache };
  const r = await unmask.ask(request);
  return { text: r.text, ids: r.tokenIds, hit: r.sharedPrefix?.hit, canvasLength: r.canvasLength, request };
};

/**
 * Where the shared prefix ends decides what it cannot see. On the engine, with the pipeline's
 * prepared prompt and the uncached answer's canvas length: no shared prefix; the pipeline's
 * (template header and image rows, so the image does not see the question); the whole prompt
 * (the image sees the question; only the answer canvas is unseen).
 */
const engineOf = (store?: PrefixCache) =>
  new DecodingEngine(plainModel.bundle.model, {
    ...(plainModel.bundle.decodingDefaults ? { defaults: plainModel.bundle.decodingDefaults } : {}),
    ...(store ? { prefixCache: store } : {}),
  });
const decodeText = (ids: number[]) => plainModel.bundle.tokenizer.decode(ids, { skipSpecialTokens: true });
async function byPrefixEnd(request: AskRequest, canvasLength: number, strategy: unknown) {
  const prepared = await plainModel.prepare(request);
  const imageEnd = Math.max(...prepared.embeddings.map((e) => e.offset + e.count));
  const run = async (sharedPrefix: number) => {
    const engine = sharedPrefix ? engineOf(new PrefixCache(64 * 2 ** 20)) : engineOf();
    const r = await engine.generate({
      promptIds: prepared.promptIds,
      embeddings: prepared.embeddings,
      maxTokens: canvasLength,
      strategy,
      cache: 'prefix',
      ...(sharedPrefix ? { sharedPrefix } : {}),
    }).result;
    return r.tokenIds;
  };
  return { none: await run(0), image: await run(imageEnd), prompt: await run(prepared.promptIds.length) };
}

interface Row {
  strategy: string;
  question: 'first' | 'second';
  expected: string;
  cached: string;
  uncached: string;
  none: string;
  cachedIds: number[];
  uncachedIds: number[];
  noneIds: number[];
  /** The engine's answers by where the shared prefix ends (see byPrefixEnd). */
  engine: { none: string; image: string; prompt: string; imageIds: number[]; promptIds: number[]; noneIds: number[] };
}
const rows: Row[] = [];
const started = performance.now();
for (const [name, strategy] of Object.entries(STRATEGIES)) {
  cachedModel.prefixCache?.clear();
  for (const pair of drawn) {
    for (const [q, e] of pair.questions.entries()) {
      const cached = await ask(cachedModel, pair, e, strategy, 'prefix');
      if (cached.hit !== (q === 1)) throw new Error(`question ${q + 1}: prefix cache hit ${cached.hit}`);
      const uncached = await ask(plainModel, pair, e, strategy, 'prefix');
      const none = await ask(plainModel, pair, e, strategy, 'none');
      const ends = await byPrefixEnd(uncached.request, uncached.canvasLength, strategy);
      rows.push({
        strategy: name,
        question: q === 0 ? 'first' : 'second',
        expected: e.answer,
        cached: cached.text,
        uncached: uncached.text,
        none: none.text,
        cachedIds: cached.ids,
        uncachedIds: uncached.ids,
        noneIds: none.ids,
        engine: {
          none: decodeText(ends.none),
          image: decodeText(ends.image),
          prompt: decodeText(ends.prompt),
          noneIds: ends.none,
          imageIds: ends.image,
          promptIds: ends.prompt,
        },
      });
    }
  }
}
const stats = cachedModel.prefixCache?.stats();
await cachedModel.close();
await plainModel.close();

const same = (a: number[], b: number[]) => a.length === b.length && a.every((t, i) => t === b[i]);
const share = (xs: Row[], f: (r: Row) => boolean) => xs.filter(f).length / xs.length;
const summary = Object.keys(STRATEGIES).flatMap((strategy) =>
  (['first', 'second', 'both'] as const).map((question) => {
    const xs = rows.filter((r) => r.strategy === strategy && (question === 'both' || r.question === question));
    return {
      strategy,
      question,
      n: xs.length,
      cachedEqualsUncached: share(xs, (r) => same(r.cachedIds, r.uncachedIds)),
      cachedEqualsNone: share(xs, (r) => same(r.cachedIds, r.noneIds)),
      uncachedEqualsNone: share(xs, (r) => same(r.uncachedIds, r.noneIds)),
      engine: {
        imagePrefixEqualsNone: share(xs, (r) => same(r.engine.imageIds, r.engine.noneIds)),
        promptPrefixEqualsNone: share(xs, (r) => same(r.engine.promptIds, r.engine.noneIds)),
        accuracy: {
          none: share(xs, (r) => answersMatch(r.engine.none, r.expected)),
          imagePrefix: share(xs, (r) => answersMatch(r.engine.image, r.expected)),
          promptPrefix: share(xs, (r) => answersMatch(r.engine.prompt, r.expected)),
        },
      },
      accuracy: {
        cached: share(xs, (r) => answersMatch(r.cached, r.expected)),
        uncached: share(xs, (r) => answersMatch(r.uncached, r.expected)),
        none: share(xs, (r) => answersMatch(r.none, r.expected)),
      },
    };
  }),
);
mkdirSync(values.out, { recursive: true });
writeFileSync(
  join(values.out, 'prefix-agreement.json'),
  `${JSON.stringify({ model: values.model, context, pairs, seed: Number(values.seed), prefixCache: stats, seconds: (performance.now() - started) / 1000, summary, rows }, null, 1)}\n`,
);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  '| strategy | question | n | cached = uncached | cached = none | uncached = none | accuracy cached / uncached / none |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
for (const s of summary)
  console.log(
    `| ${s.strategy} | ${s.question} | ${s.n} | ${pct(s.cachedEqualsUncached)} | ${pct(s.cachedEqualsNone)} | ${pct(s.uncachedEqualsNone)} | ${pct(s.accuracy.cached)} / ${pct(s.accuracy.uncached)} / ${pct(s.accuracy.none)} |`,
  );
console.log('\nOn the engine, by where the shared prefix ends (cache prefix):');
console.log(
  '| strategy | question | image prefix = none | whole-prompt prefix = none | accuracy none / image prefix / whole-prompt prefix |',
);
console.log('| --- | --- | ---: | ---: | --- |');
for (const s of summary)
  console.log(
    `| ${s.strategy} | ${s.question} | ${pct(s.engine.imagePrefixEqualsNone)} | ${pct(s.engine.promptPrefixEqualsNone)} | ${pct(s.engine.accuracy.none)} / ${pct(s.engine.accuracy.imagePrefix)} / ${pct(s.engine.accuracy.promptPrefix)} |`,
  );

/**
 * Every decoding strategy and KV-cache mode, end to end on the committed default model (issues 2
 * and 4): the fixed quick-check sample (tools/eval/quick-sample) answered through @unmask/pipeline's
 * Unmask, one request at a time, with each strategy the benchmark measures (tools/bench/grid.ts),
 * and with the prefix and dual caches against no cache. UNMASK_QUICK_CHECK_MODEL=DIR checks
 * another bundle, as in quick-check.test.ts.
 *
 * What "agree" means: a cached key/value is an approximation in a bidirectional model (the prompt's
 * keys were computed while the answer was still masked), so cached answers may differ; the
 * tolerance is the share of answers allowed to differ, measured on this model (docs/decoding.md).
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Unmask, type AskRequest } from '@unmask/pipeline';
import { answersMatch } from '../../worlds/src/index.js';
import { STRATEGIES } from '../../bench/grid.js';
import type { EvalSample } from './eval-set.js';
import { loadQuickSample } from './quick-sample.js';

/** Regression floors from the committed model (2026-11-27, 78 items: every strategy 87.2-92.3%, prophet the lowest; both caches 97.4% equal to no cache), less about two items. Never lowered silently. */
const MIN_ACCURACY = 0.83;
/** Confident τ 0.9 may lose at most this much accuracy against one token per step (the 1 point, plus one item of this sample). */
const CONFIDENT_MAX_DROP = 0.01 + 1 / 90;
/** Share of answers a cache may change against no cache (prefix and dual, confident τ 0.9). */
const CACHE_MIN_AGREEMENT = 0.93;

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const MODEL_DIR = resolve(ROOT, process.env.UNMASK_QUICK_CHECK_MODEL ?? 'models/default');
const CANVAS = 32;

/** Every third item of the quick sample: each world and question type, ~80 requests per configuration. */
function subset(samples: readonly EvalSample[]): EvalSample[] {
  return samples.filter((_, i) => i % 3 === 0);
}

describe(`every strategy and cache on ${MODEL_DIR} (a third of tools/eval/quick-sample, one request at a time)`, () => {
  let unmask: Unmask;
  let samples: EvalSample[];
  const answers = new Map<string, string[]>();

  const run = async (
    label: string,
    strategy: unknown,
    cache: 'none' | 'prefix' | 'dual' = 'none',
  ): Promise<string[]> => {
    const key = `${label}/${cache}`;
    const known = answers.get(key);
    if (known) return known;
    const out: string[] = [];
    for (const s of samples) {
      const request: AskRequest = {
        prompt: s.prompt,
        maxTokens: CANVAS,
        strategy,
        cache,
        ...(s.image ? { images: [s.image] } : {}),
        ...(s.audio ? { audio: [s.audio] } : {}),
      };
      out.push((await unmask.ask(request)).text);
    }
    answers.set(key, out);
    return out;
  };
  const accuracy = (texts: readonly string[]) =>
    texts.filter((t, i) => answersMatch(t, samples[i]!.answer)).length / texts.length;

  before(async () => {
    samples = subset(loadQuickSample().samples);
    unmask = await Unmask.load(MODEL_DIR, { poolSize: 1 });
  });
  after(async () => {
    await unmask?.close();
  });

  for (const c of STRATEGIES) {
    it(`${c.label}: answers at least ${MIN_ACCURACY * 100}% of the sample exactly`, async () => {
      const acc = accuracy(await run(c.label, c.strategy(CANVAS)));
      console.log(`  ${c.label}: ${(acc * 100).toFixed(1)}% of ${samples.length}`);
      assert.ok(
        acc >= MIN_ACCURACY,
        `${c.label}: ${(acc * 100).toFixed(1)}% exact on ${samples.length} items, floor ${MIN_ACCURACY * 100}%`,
      );
    });
  }

  it('confident τ 0.9 is within a point (plus one item) of one token per step', async () => {
    const one = STRATEGIES.find((c) => c.label === 'fixed 1/step')!;
    const conf = STRATEGIES.find((c) => c.label === 'confident τ=0.9')!;
    const drop =
      accuracy(await run(one.label, one.strategy(CANVAS))) - accuracy(await run(conf.label, conf.strategy(CANVAS)));
    assert.ok(
      drop <= CONFIDENT_MAX_DROP,
      `confident τ 0.9 is ${(drop * 100).toFixed(1)} points below one token per step`,
    );
  });

  for (const cache of ['prefix', 'dual'] as const) {
    it(`the ${cache} cache gives the uncached answer on at least ${CACHE_MIN_AGREEMENT * 100}% of the sample (confident τ 0.9)`, async () => {
      const conf = STRATEGIES.find((c) => c.label === 'confident τ=0.9')!;
      const plain = await run(conf.label, conf.strategy(CANVAS));
      const cached = await run(conf.label, conf.strategy(CANVAS), cache);
      const same = cached.filter((t, i) => t === plain[i]).length / cached.length;
      console.log(
        `  ${cache} cache: ${(same * 100).toFixed(1)}% equal to no cache, accuracy ${(accuracy(cached) * 100).toFixed(1)}%`,
      );
      assert.ok(
        same >= CACHE_MIN_AGREEMENT,
        `${cache}: ${(same * 100).toFixed(1)}% of answers equal to the uncached ones, tolerance ${CACHE_MIN_AGREEMENT * 100}%`,
      );
    });
  }
});

/**
 * CI's quick accuracy check (issue 4, "Tests in CI"): the committed default model answers the fixed
 * sample in tools/eval/quick-sample/ through @unmask/pipeline's Unmask, with the default strategy
 * as the evaluation runs it (confident decoding, τ 0.9, 32-position canvas), scored by the
 * evaluation's own metrics. UNMASK_QUICK_CHECK_MODEL=DIR (relative to the repository root, or
 * absolute) checks another bundle instead of models/default.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Unmask } from '@unmask/pipeline';
import { answerAll, STRATEGIES } from './evaluate.js';
import { scoreStrategy, type StrategyScore } from './metrics.js';
import {
  checkQuickThresholds,
  quickCheckTable,
  type QuickCheckThresholds,
  type ThresholdCheck,
} from './quick-check.js';
import { loadQuickSample } from './quick-sample.js';

/**
 * THE thresholds of the quick check: the only place their values live. They are regression floors
 * for the committed model, not the issue's quality bar (models/default/eval/report.md judges the
 * bar on 500 samples per world and says where it is missed). Each is the committed model's measured
 * value on this sample less about two items (build 7, 2026-12-05: shapes 81/84, describe 14/14,
 * intent 35/36, response 35/36, WER 3.8%, spoken questions 11/12, refusals 16/16). Lowered on
 * purpose when build 7 replaced run L (shapes 84/84 → 81/84, spoken questions 12/12 → 11/12 here;
 * 0.97 → 0.94 and 0.83 → 0.75): a model that understands people's wordings at a few points less
 * on the tables' (docs/default-model.md, "The shipped model").
 * Raise them when a better model lands; never lower one silently.
 */
const THRESHOLDS: QuickCheckThresholds = {
  shapes: { exact: 0.94, describe: 0.85 },
  home: { intent: 0.91, respond: 0.91, transcriptWer: 0.06 },
  both: { spokenQuestion: 0.75 },
  refusal: { refused: 0.87 },
};

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const MODEL_DIR = resolve(ROOT, process.env.UNMASK_QUICK_CHECK_MODEL ?? 'models/default');

describe(`quick accuracy check of ${MODEL_DIR} on the fixed sample (tools/eval/quick-sample, τ 0.9, 32-position canvas)`, () => {
  let score: StrategyScore | undefined;
  let checks: ThresholdCheck[] = [];
  const check = (world: string, name: string) => {
    assert.ok(score, 'no answers to check: the bundle did not load or answer (see the first test)');
    const c = checks.find((x) => x.world === world && x.name.startsWith(name));
    assert.ok(c, `no check named ${world}: ${name}`);
    assert.ok(c.pass, `${c.world}: ${c.name}: ${(c.value * 100).toFixed(1)}% on ${c.n} items, target ${c.target}`);
  };

  it('the bundle is in the checkout, loads with Unmask and answers every item of the sample', async () => {
    assert.ok(
      existsSync(join(MODEL_DIR, 'manifest.json')),
      `${MODEL_DIR} holds no manifest.json: the default model must be committed at models/default (or UNMASK_QUICK_CHECK_MODEL must name a bundle)`,
    );
    const { samples } = loadQuickSample();
    const unmask = await Unmask.load(MODEL_DIR);
    let heldout: StrategyScore;
    try {
      const rows = await answerAll(unmask, samples, STRATEGIES['tau0.9']);
      assert.equal(rows.length, samples.length);
      score = scoreStrategy(rows.filter((r) => r.set === 'table'));
      heldout = scoreStrategy(rows.filter((r) => r.set === 'heldout'));
    } finally {
      await unmask.close();
    }
    checks = checkQuickThresholds(score, THRESHOLDS, heldout);
    console.log(
      `\nquick check of ${MODEL_DIR}, ${samples.length} items, confident τ 0.9, tables' wordings:\n${quickCheckTable(score, checks)}\n` +
        (heldout.overall.n > 0 ? `held-out wordings:\n${quickCheckTable(heldout, [])}\n` : ''),
    );
  });

  it('answers the six short shapes question types exactly, pooled, at least as often as the threshold', () =>
    check('shapes', 'exact match'));
  it('lists the objects of `describe the image` exactly at least as often as the threshold', () =>
    check('shapes', 'describe'));
  it('extracts the intent JSON of spoken commands exactly at least as often as the threshold', () =>
    check('home', 'intent'));
  it('gives the expected response to spoken commands at least as often as the threshold', () =>
    check('home', 'response'));
  it('transcribes spoken commands with a mean word error rate no higher than the threshold', () =>
    check('home', 'transcript'));
  it('answers spoken questions about an image at least as often as the threshold', () => check('both', 'spoken'));
  it('refuses out-of-spec and media-less prompts at least as often as the threshold', () =>
    check('refusal', 'out-of-spec'));
});

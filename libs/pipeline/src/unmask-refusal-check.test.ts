/**
 * The whole-answer check (`generation.refusal`) end to end on a real tiny random bundle: a copy
 * of it declares a refusal built from what the model answers, so that a first decode fails or
 * passes the check by construction. Then a mixed-up refusal on the embedded default model.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRepetition } from './answer/repetition-check.js';
import { pngOf, solidPngOf } from './test-support/media.js';
import { Unmask } from './unmask.js';

const BUNDLE = fileURLToPath(new URL('../test-fixtures/tiny-multimodal', import.meta.url));
const PROMPT = 'what is the colour';
/** Two steps for eight positions: the first decode commits four tokens per step. */
const PARALLEL = { name: 'low_confidence', steps: 2 } as const;
const ask = (unmask: Unmask, extra: object = {}) =>
  unmask.ask({ prompt: PROMPT, maxTokens: 8, strategy: PARALLEL, ...extra });

/** A copy of the tiny bundle whose manifest declares `refusal`. */
function withRefusal(refusal: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-refusal-'));
  cpSync(BUNDLE, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.generation = { ...manifest.generation, refusal };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('Unmask: the whole-answer check of a model that declares its refusal', () => {
  let plain: Unmask;
  let first: Awaited<ReturnType<typeof ask>>;
  let onePerStep: Awaited<ReturnType<typeof ask>>;
  const dirs: string[] = [];
  /** Runs `use` on the tiny bundle declaring `refusal`. */
  const declaring = async (refusal: string, use: (unmask: Unmask) => Promise<void>) => {
    const dir = withRefusal(refusal);
    dirs.push(dir);
    const unmask = await Unmask.load(dir, { poolSize: 1 });
    try {
      await use(unmask);
    } finally {
      await unmask.close();
    }
  };
  const firstWord = () => first.text.trim().split(/\s+/)[0] as string;
  /** A refusal that the first decode's answer starts like (its first word). */
  const startingLikeTheAnswer = () => `${firstWord()} never said otherwise`;
  before(async () => {
    plain = await Unmask.load(BUNDLE, { poolSize: 1 });
    first = await ask(plain);
    onePerStep = await ask(plain, { fixedCanvas: true, strategy: { name: 'low_confidence', steps: 8 } });
    assert.notEqual(first.text, onePerStep.text, 'the fixture decodes differently four tokens per step');
  });
  after(async () => {
    await plain.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('without a declared refusal, answers the first decode', () => {
    assert.equal(first.decodedAgain, undefined);
    assert.equal(first.forwardPasses, 2);
  });

  it('passes an answer that is the refusal: one decode', async () => {
    await declaring(first.text.toUpperCase(), async (unmask) => {
      const r = await ask(unmask);
      assert.equal(r.text, first.text);
      assert.equal(r.decodedAgain, undefined);
    });
  });

  it('decodes an answer that starts like the refusal again, one token per step, counting both decodes', async () => {
    await declaring(startingLikeTheAnswer(), async (unmask) => {
      const r = await ask(unmask);
      assert.deepEqual(r.decodedAgain, { text: first.text });
      assert.equal(r.text, onePerStep.text);
      assert.equal(r.forwardPasses, 2 + 8);
      assert.equal(r.steps, 2 + 8);
      assert.equal(r.canvasLength, first.canvasLength);
    });
  });

  it('answers the whole refusal when the second decode is only its beginning', async () => {
    // The one-token-per-step answer is the refusal's first words: the model was refusing.
    const refusal = `${onePerStep.text} and nothing else`;
    await declaring(refusal, async (unmask) => {
      const r = await ask(unmask);
      assert.deepEqual(r.decodedAgain, { text: first.text });
      assert.equal(r.text, refusal);
      assert.equal(r.finishReason, 'stop');
      const withLogprobs = await ask(unmask, { logprobs: 0 });
      assert.equal(withLogprobs.text, onePerStep.text, 'log-probabilities describe the decoded tokens: no completion');
    });
  });

  it('completes a decode already one token per step that is only the refusal’s beginning, without decoding it again', async () => {
    assert.equal(onePerStep.widestStep, 1);
    const refusal = `${onePerStep.text} and nothing else`;
    await declaring(refusal, async (unmask) => {
      const r = await ask(unmask, { fixedCanvas: true, strategy: { name: 'low_confidence', steps: 8 } });
      assert.equal(r.decodedAgain, undefined);
      assert.equal(r.text, refusal);
      assert.equal(r.forwardPasses, onePerStep.forwardPasses);
    });
  });

  it('streams a checked answer whole: no delta until the result, the second decode’s steps after the first’s', async () => {
    await declaring(startingLikeTheAnswer(), async (unmask) => {
      const stream = unmask.askStream({ prompt: PROMPT, maxTokens: 8, strategy: PARALLEL });
      const steps = [];
      for await (const step of stream) steps.push(step);
      const r = await stream.result;
      assert.equal(r.text, onePerStep.text);
      assert.deepEqual(
        steps.map((s) => s.step),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal(steps.at(-1)?.forwardPasses, 10);
      assert.ok(steps.every((s) => s.delta === ''));
    });
  });

  it('leaves a decode that was already one token per step, and constrained answers, alone', async () => {
    await declaring(startingLikeTheAnswer(), async (unmask) => {
      const r = await ask(unmask, { fixedCanvas: true, strategy: { name: 'low_confidence', steps: 8 } });
      assert.equal(r.decodedAgain, undefined);
      assert.equal(r.forwardPasses, 8);
      const choice = await ask(unmask, { responseFormat: { type: 'choice', choices: [firstWord(), 'who'] } });
      assert.equal(choice.decodedAgain, undefined);
    });
  });
});

describe('Unmask: the whole-answer check on the embedded default model, shown an image it was never trained on', () => {
  const DEFAULT_MODEL = fileURLToPath(new URL('../../../models/default', import.meta.url));

  // Build 13 babbled one word over and over about a one-colour image (the repetition rule turned it
  // into the refusal); build 14 starts the refusal and mixes the colour into it instead, which the
  // same check decodes again one token per step. isRepetition's own spec: answer/repetition-check.test.ts.
  it('answers a refusal mixed with the image’s colour with the whole refusal, after decoding it again one token per step', async () => {
    const unmask = await Unmask.load(DEFAULT_MODEL, { poolSize: 1 });
    try {
      const refusal = JSON.parse(readFileSync(join(DEFAULT_MODEL, 'manifest.json'), 'utf8')).generation.refusal;
      const r = await unmask.ask({ prompt: 'describe the picture', images: [await solidPngOf(64, 64, [30, 30, 220])] });
      const first = r.decodedAgain?.text ?? '';
      assert.ok(
        first !== refusal && first.startsWith(refusal.split(' ').slice(0, 3).join(' ')),
        `first decode: ${first}`,
      );
      assert.equal(r.text, refusal);
      assert.equal(r.finishReason, 'stop');
      const shapes = await unmask.ask({ prompt: 'describe the image', images: [await pngOf(64, 64)] });
      assert.equal(shapes.decodedAgain, undefined, 'a drawn shape: one decode');
      assert.notEqual(shapes.text, refusal);
      assert.ok(!isRepetition(shapes.text), shapes.text);
    } finally {
      await unmask.close();
    }
  });
});

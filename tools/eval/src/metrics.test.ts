import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REFUSAL, Rng } from '../../worlds/src/index.js';
import { typePlan, worldOf } from './eval-set.js';
import { qualityBar, refusalRate, scoreStrategy, type Scored } from './metrics.js';
import { renderMarkdown } from './report.js';

const row = (over: Partial<Scored>): Scored => ({
  type: 'color_of_shape',
  world: 'shapes',
  set: 'table',
  answer: 'red',
  predicted: 'red',
  forwardPasses: 1,
  answerTokens: 1,
  ...over,
});

describe('eval metrics', () => {
  it('scores exact match per type after the spec normalisation (case and punctuation do not count)', () => {
    const s = scoreStrategy([
      row({}),
      row({ predicted: 'Red.' }),
      row({ predicted: 'blue' }),
      row({ type: 'where', answer: 'top left', predicted: 'top left', answerTokens: 2 }),
    ]);
    assert.equal(s.byType.color_of_shape!.n, 3);
    assert.ok(Math.abs(s.byType.color_of_shape!.exact - 2 / 3) < 1e-12);
    assert.equal(s.byType.where!.exact, 1);
    assert.equal(s.overall.exact, 0.75);
  });

  it('reports word error rate for transcripts and forward passes over answer tokens', () => {
    const s = scoreStrategy([
      row({
        type: 'transcribe',
        world: 'home',
        answer: 'turn on the lights',
        predicted: 'turn on the light',
        forwardPasses: 2,
        answerTokens: 4,
      }),
      row({
        type: 'transcribe',
        world: 'home',
        answer: 'stop the music',
        predicted: 'stop the music',
        forwardPasses: 1,
        answerTokens: 3,
      }),
    ]);
    assert.equal(s.byType.transcribe!.wer, (1 / 4 + 0) / 2);
    assert.equal(s.overall.forwardsPerAnswer, 1.5);
    assert.ok(Math.abs(s.overall.forwardRatio - 1.5 / 3.5) < 1e-12);
  });

  it('checks the quality bar: a perfect, fast run passes every check, a slow or wrong one misses', () => {
    const good = scoreStrategy([
      row({ forwardPasses: 1, answerTokens: 4 }),
      row({
        type: 'refusal',
        world: 'refusal',
        answer: REFUSAL,
        predicted: REFUSAL,
        forwardPasses: 2,
        answerTokens: 14,
      }),
    ]);
    assert.ok(qualityBar(good, good).every((c) => c.pass));
    const slow = scoreStrategy([row({ forwardPasses: 3, answerTokens: 1 })]);
    assert.equal(qualityBar(slow, slow).find((c) => c.name.startsWith('forward passes'))!.pass, false);
    const wrong = scoreStrategy([row({ predicted: 'blue' })]);
    assert.equal(qualityBar(wrong, good).find((c) => c.name === 'shapes: color_of_shape')!.pass, false);
    assert.equal(qualityBar(wrong, good).find((c) => c.name.startsWith('accuracy drop'))!.pass, false);
  });

  it('counts how often each world is answered with the refusal', () => {
    const rates = refusalRate([
      row({ predicted: REFUSAL }),
      row({}),
      row({ world: 'refusal', type: 'refusal', predicted: REFUSAL }),
    ]);
    assert.deepEqual(rates, { refusal: 1, shapes: 0.5 });
  });

  it('renders a markdown report with the bar and a row per type', () => {
    const s = scoreStrategy([row({})]);
    const md = renderMarkdown({
      model: 'm',
      seed: 1,
      perWorld: 1,
      samples: 1,
      seconds: 1,
      strategies: { 'tau0.9': s, greedy: s },
      refusalRate: {},
      bar: qualityBar(s, s),
      byMedia: {},
    });
    assert.match(md, /\| color_of_shape \| 1 \| 100\.0% \| 1\.00 \| 100\.0% \| 1\.00 \| 1\.0 \|/);
    assert.match(md, /Quality bar/);
  });
});

describe('eval set plan', () => {
  it('splits each world evenly over its task types', () => {
    const plan = typePlan(500);
    const shapes = plan.filter((p) => worldOf(p.type) === 'shapes');
    assert.equal(
      shapes.reduce((n, p) => n + p.count, 0),
      500,
    );
    assert.equal(shapes.length, 7);
    assert.equal(
      plan.filter((p) => worldOf(p.type) === 'home').reduce((n, p) => n + p.count, 0),
      500,
    );
    assert.equal(plan.find((p) => p.type === 'spoken_question')!.count, 500);
    assert.equal(plan.find((p) => p.type === 'refusal')!.count, 500);
    assert.ok(new Rng(1).next() >= 0);
  });
});

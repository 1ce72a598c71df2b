import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  byKind,
  firstPerType,
  frameBreakdown,
  type HeldoutExample,
  inScopeRefused,
  inScopeWords,
  type LmResult,
} from './heldout-frames.js';
import { REFUSAL } from '../../worlds/src/index.js';

const ex = (type: string, prompt: string, answer: string): HeldoutExample => ({ type, prompt, spoken: null, answer });
const examples: HeldoutExample[] = [
  ex('where', 'Whereabouts is the circle?', 'top left'),
  ex('where', 'whereabouts is the star', 'there is no star'),
  ex('where', 'Where is the circle, cheers', 'top left'),
  { ...ex('refusal', 'what is the capital of france', 'i can only answer ...'), refusalKind: 'everyday' },
  ex('where', 'which corner holds the circle', 'top left'),
];
const result = (wrong: HeldoutExample[], n = 4, exact = (n - wrong.length) / n): LmResult => ({
  'tau0.9': { where: { n, exact, wrong }, refusal: { n: 1, exact: 1, wrong: [] } },
});
const refusalWrong = (r: LmResult): LmResult => ({
  'tau0.9': { ...r['tau0.9'], refusal: { n: 1, exact: 0, wrong: [examples[3]!] } },
});

describe('held-out accuracy frame by frame', () => {
  it('puts each example under its frame and kind, a refusal under its refusal kind, and counts right answers per result', () => {
    const rows = frameBreakdown(examples, [result([]), refusalWrong(result([examples[1]!, examples[4]!]))], 'tau0.9');
    assert.deepEqual(
      rows.map((r) => [r.kind, r.frame, r.n, ...r.right]),
      [
        ['everyday', '-', 1, 1, 0],
        ['heldout frame', 'whereabouts is the {shape}', 2, 2, 1],
        ['trained frame, held-out decorations', 'where is the {shape}', 1, 1, 1],
        ['unrecognised', '?', 1, 1, 0],
      ],
    );
    assert.deepEqual(
      byKind(rows).map((r) => [r.kind, r.n, ...r.right]),
      [
        ['everyday', 1, 1, 0],
        ['heldout frame', 2, 2, 1],
        ['trained frame, held-out decorations', 1, 1, 1],
        ['unrecognised', 1, 1, 0],
      ],
    );
  });

  it('counts a wrong answer once even when the same prompt comes twice', () => {
    const twice = [examples[0]!, examples[0]!];
    const rows = frameBreakdown(twice, [result([examples[0]!], 2)], 'tau0.9');
    assert.deepEqual(
      rows.map((r) => [r.n, ...r.right]),
      [[2, 1]],
    );
  });

  it('refuses a result that does not list every wrong answer', () => {
    assert.throws(
      () => frameBreakdown(examples, [result([], 4, 0.5)], 'tau0.9'),
      /2 wrong but 0 listed.*--show-wrong 4/,
    );
    assert.throws(() => frameBreakdown(examples, [result([])], 'greedy'), /no "greedy" decoding/);
  });

  it('takes the first n of each type, as evaluate_lm does', () => {
    assert.deepEqual(
      firstPerType(examples, 1).map((e) => e.prompt),
      ['Whereabouts is the circle?', 'what is the capital of france'],
    );
  });

  it('puts a refusal without its kind (a text set written before kinds were recorded) under unrecognised', () => {
    const old = ex('refusal', 'how wide is the triangle', 'i can only answer ...');
    assert.deepEqual(
      frameBreakdown([old], [result([], 0, 1)], 'tau0.9').map((r) => [r.type, r.kind, r.n]),
      [['refusal', 'unrecognised', 1]],
    );
  });

  it('counts the in-scope prompts answered with the refusal, and those holding a word no in-scope training prompt has', () => {
    const refused = (e: HeldoutExample) => ({ ...e, got: REFUSAL });
    const r: LmResult = {
      'tau0.9': {
        where: {
          n: 4,
          exact: 0.25,
          wrong: [refused(examples[1]!), refused(examples[2]!), { ...examples[4]!, got: 'top' }],
        },
        refusal: { n: 1, exact: 0, wrong: [{ ...examples[3]!, got: 'paris' }] },
      },
    };
    const trained = inScopeWords([
      { type: 'where', prompt: 'Where is the star?' },
      { type: 'refusal', prompt: 'whereabouts is paris' },
    ]);
    assert.deepEqual(inScopeRefused(r, 'tau0.9'), { refused: 2, unseen: null });
    // "whereabouts" only a refusal's word, "cheers" and "circle" in no training prompt: both count
    assert.deepEqual(inScopeRefused(r, 'tau0.9', trained), { refused: 2, unseen: 2 });
    assert.deepEqual(
      inScopeRefused(r, 'tau0.9', inScopeWords([{ type: 'where', prompt: 'whereabouts is the star' }])),
      {
        refused: 2,
        unseen: 1,
      },
    );
  });
});

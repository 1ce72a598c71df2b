import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConstraintVocabulary, compileConstraint, type ConstraintSpec } from './token-constraint.js';

const MASK = 100;
const EOS = 101;
const encoder = new TextEncoder();

/** A toy vocabulary: ids are indexes into `words`; the same surface first or later. */
function toyVocabulary(words: string[]): ConstraintVocabulary {
  const surfaces = words.map((w) => encoder.encode(w));
  return ConstraintVocabulary.fromSurfaces({ rest: surfaces, first: surfaces, firstDiffers: false }, 102);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Completability by enumeration: every filling of the masks, answer = tokens before the first EOS, no committed token dropped. */
function bruteForce(canvas: number[], words: string[], accepts: (text: string) => boolean): boolean {
  const masks = canvas.flatMap((id, i) => (id === MASK ? [i] : []));
  const choices = [...words.keys(), EOS];
  const filling = new Array(masks.length).fill(0);
  for (;;) {
    const full = [...canvas];
    masks.forEach((position, k) => {
      full[position] = choices[filling[k]] as number;
    });
    const end = full.indexOf(EOS);
    const cut = end === -1 ? full.length : end;
    const dropped = full.slice(cut).some((id, i) => id !== EOS && canvas[cut + i] !== MASK);
    if (
      !dropped &&
      accepts(
        full
          .slice(0, cut)
          .map((id) => words[id])
          .join(''),
      )
    )
      return true;
    let k = 0;
    while (k < masks.length && ++filling[k] === choices.length) filling[k++] = 0;
    if (k === masks.length) return false;
  }
}

describe('the canvas check', () => {
  const words = ['{', '}', '"a"', ':', ' ', '1', '12', '"', 'a', ',', '{"a":', '}}'];
  const spec: ConstraintSpec = {
    type: 'json_schema',
    schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'], additionalProperties: false },
  };
  const accepts = (text: string) => /^\s*\{\s*"a"\s*:\s*-?(0|[1-9]\d*)\s*\}\s*$/.test(text);

  it('tells whether a whole text is in the language (a JSON answer cut short is not)', () => {
    const constraint = compileConstraint(spec, toyVocabulary(words));
    for (const text of ['{"a": 12}', ' {"a":0} ', '{"a": 12', '{"a": 012}', '{"b": 1}', '', '{"a": 1}}'])
      assert.equal(constraint.accepts(text), accepts(text), JSON.stringify(text));
  });

  it('says completable exactly when some filling of the masks is accepted', () => {
    const constraint = compileConstraint(spec, toyVocabulary(words));
    const random = rng(11);
    let both = 0;
    for (let n = 0; n < 400; n++) {
      const length = 2 + Math.floor(random() * 4);
      const canvas = Array.from({ length }, () => {
        const r = random();
        return r < 0.55 ? MASK : r < 0.62 ? EOS : Math.floor(random() * words.length);
      });
      // Everything after the first committed EOS is EOS (end-of-text fill).
      const firstEos = canvas.indexOf(EOS);
      if (firstEos >= 0) canvas.fill(EOS, firstEos);
      const check = constraint.track({ length, maskTokenId: MASK, eosTokenId: EOS });
      check.sync(canvas);
      const expected = bruteForce(canvas, words, accepts);
      assert.equal(
        check.completable,
        expected,
        JSON.stringify(canvas.map((id) => (id === MASK ? '_' : id === EOS ? '⏹' : words[id]))),
      );
      if (!expected) continue;
      // And a commit is allowed exactly when the canvas stays completable.
      for (const position of canvas.flatMap((id, i) => (id === MASK ? [i] : []))) {
        for (const token of [...words.keys(), EOS]) {
          const after = [...canvas];
          after[position] = token;
          if (token === EOS) after.fill(EOS, position);
          const stays = bruteForce(after, words, accepts);
          assert.equal(check.allows(position, token), stays, `${token === EOS ? '⏹' : words[token]} at ${position}`);
          both += 1;
        }
      }
    }
    assert.ok(both > 500, `checked ${both} commits`);
  });

  it('restricts logits to the allowed tokens and end-of-text only where the answer can end', () => {
    const constraint = compileConstraint(spec, toyVocabulary(words));
    const check = constraint.track({ length: 6, maskTokenId: MASK, eosTokenId: EOS });
    const logits = new Float32Array(102).fill(1);
    check.restrict(0, logits, 0, 102);
    const allowed = [...logits.keys()].filter((id) => logits[id] === 1).map((id) => (id === EOS ? '⏹' : words[id]));
    assert.deepEqual(allowed.sort(), [' ', '{', '{"a":'].sort());
    check.commit(0, words.indexOf('{"a":'));
    check.commit(1, words.indexOf('12'));
    check.commit(2, words.indexOf('}'));
    assert.ok(check.allows(3, EOS));
    assert.ok(check.allows(3, words.indexOf(' ')));
    assert.ok(!check.allows(3, words.indexOf('1')));
  });
});

describe('constrained decoding by a model that wants something else', () => {
  it('always ends in an accepted answer, whatever the order and number of commits per step', () => {
    const words = ['{', '}', '"a"', ':', ' ', '1', '12', '"', 'a', ',', '{"a":', '}}', 'x', 'yes', 'no'];
    const vocabulary = toyVocabulary(words);
    const specs: [ConstraintSpec, (t: string) => boolean][] = [
      [
        { type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] } },
        (t) => JSON.parse(t).a % 1 === 0,
      ],
      [{ type: 'choice', choices: ['yes', 'no', 'a x'] }, (t) => ['yes', 'no', 'a x'].includes(t)],
      [{ type: 'regex', pattern: '(ax)+1?' }, (t) => /^(ax)+1?$/.test(t)],
      [{ type: 'json_object' }, (t) => typeof JSON.parse(t) === 'object'],
    ];
    const random = rng(5);
    for (const [spec, valid] of specs) {
      const constraint = compileConstraint(spec, vocabulary);
      for (let run = 0; run < 60; run++) {
        const length = 4 + Math.floor(random() * 8);
        const check = constraint.track({ length, maskTokenId: MASK, eosTokenId: EOS });
        if (!check.completable) continue;
        const canvas = new Array(length).fill(MASK);
        while (canvas.includes(MASK)) {
          // A step: up to three positions at once, each with its own wish among the allowed tokens.
          const masked = canvas.flatMap((id, i) => (id === MASK ? [i] : []));
          const picks = masked.sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 3));
          const wishes = picks.map((position) => {
            const allowed = check.allowedAt(position);
            const ids = [...allowed.keys()].filter((id) => allowed[id] === 1);
            return { position, token: ids[Math.floor(random() * ids.length)] as number };
          });
          let committed = 0;
          for (const { position, token } of wishes) {
            if (!check.allows(position, token)) continue;
            canvas[position] = token;
            check.commit(position, token);
            committed += 1;
            if (token === EOS) {
              for (let i = position + 1; i < length; i++) {
                canvas[i] = EOS;
                check.commit(i, EOS);
              }
            }
          }
          assert.ok(committed > 0, 'the first commit of a step always fits');
        }
        const end = canvas.indexOf(EOS);
        const text = canvas
          .slice(0, end === -1 ? length : end)
          .map((id) => words[id])
          .join('');
        assert.ok(valid(text), `${spec.type}: ${JSON.stringify(text)}`);
      }
    }
  });
});

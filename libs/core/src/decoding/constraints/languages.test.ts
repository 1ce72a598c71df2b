import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError } from '../../errors.js';
import { ByteDfa, DEAD } from './byte-automaton.js';
import { integerRange } from './integer-range.js';
import { compileJsonSchema } from './json-schema.js';
import { anyJsonObject } from './json-text.js';
import type { Pattern } from './pattern.js';
import { parseRegex } from './regex.js';
import { utf8Sequences } from './utf8-ranges.js';

const encoder = new TextEncoder();

function matcher(p: Pattern): (text: string) => boolean {
  const dfa = new ByteDfa(p);
  return (text) => {
    const s = dfa.walk(dfa.start, encoder.encode(text));
    return s !== DEAD && dfa.isAccepting(s);
  };
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('UTF-8 sequences of code point ranges', () => {
  it('cover exactly the scalar values of the range, surrogates excluded', () => {
    const random = rng(1);
    for (let n = 0; n < 200; n++) {
      const a = Math.floor(random() * 0x110000);
      const b = Math.min(0x10ffff, a + Math.floor(random() * (random() < 0.5 ? 300 : 200_000)));
      const seqs = utf8Sequences(a, b);
      for (let k = 0; k < 50; k++) {
        const cp = Math.floor(random() * 0x110000);
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const bytes = encoder.encode(String.fromCodePoint(cp));
        const matched = seqs.filter(
          (s) => s.length === bytes.length && s.every(([lo, hi], i) => bytes[i]! >= lo && bytes[i]! <= hi),
        );
        assert.equal(
          matched.length,
          cp >= a && cp <= b ? 1 : 0,
          `U+${cp.toString(16)} in [${a.toString(16)}, ${b.toString(16)}]`,
        );
      }
    }
  });
});

describe('regular expressions', () => {
  const cases: [string, string[]][] = [
    ['a|bc*', ['a', 'b', 'bccc', 'ab', '']],
    ['(?:ab)+c?', ['ab', 'ababc', 'abc', 'c', 'aba']],
    ['[a-c]{2,3}\\d', ['ab1', 'abc9', 'a1', 'abcd1']],
    ['[^0-9]\\s?\\w+', ['x y', 'xy', '5y', 'é_9', '  ']],
    ['colou?r (red|green)', ['color red', 'colour green', 'colr red']],
    ['^\\$\\d+(\\.\\d{2})?$', ['$5', '$5.25', '$5.2', '5']],
    ['.{3}', ['abc', 'a\nc', 'ééé', 'ab']],
    ['[\\u00e0-\\u00ff]+x{0,2}', ['àé', 'àxx', 'àxxx', 'x']],
    ['(?<word>\\w+)-\\1?', []],
  ];
  it('match the same texts as JavaScript RegExp', () => {
    const random = rng(7);
    const alphabet = [
      'a',
      'b',
      'c',
      'x',
      'y',
      '1',
      '5',
      ' ',
      '\n',
      'é',
      'à',
      '_',
      '-',
      '.',
      '$',
      'r',
      'e',
      'd',
      'o',
      'l',
      'u',
    ];
    for (const [source, examples] of cases.slice(0, -1)) {
      const ours = matcher(parseRegex(source));
      const theirs = new RegExp(`^(?:${source.replace(/^\^/, '').replace(/\$$/, '')})$`, 'u');
      const texts = [...examples];
      for (let n = 0; n < 300; n++) {
        const length = Math.floor(random() * 7);
        texts.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
      }
      for (const text of texts) assert.equal(ours(text), theirs.test(text), `${source} on ${JSON.stringify(text)}`);
    }
  });

  it('refuses what it cannot express, naming it', () => {
    for (const [source, message] of [
      ['(a)\\1', /back-references/],
      ['a(?=b)', /look-around/],
      ['\\bword', /word boundaries/],
      ['a{2000}', /above 1000/],
      ['[abc', /missing '\]'/],
      ['*a', /nothing to repeat/],
    ] as const) {
      assert.throws(
        () => parseRegex(source, 'response_format.regex'),
        (e) =>
          isUnmaskError(e, 'invalid_parameter') &&
          message.test(e.message) &&
          e.message.includes('response_format.regex'),
      );
    }
  });
});

describe('integer ranges', () => {
  it('match exactly the canonical integers between the bounds', () => {
    const random = rng(3);
    const bounds: [number, number][] = [
      [0, 0],
      [1, 9],
      [7, 123],
      [-15, 42],
      [-300, -17],
      [99, 1000],
      [0, Infinity],
      [18, Infinity],
      [-Infinity, -5],
      [-Infinity, 250],
    ];
    for (const [lo, hi] of bounds) {
      const ours = matcher(integerRange(lo, hi));
      for (let n = 0; n < 400; n++) {
        const v = Math.floor((random() - 0.5) * (random() < 0.5 ? 400 : 20000));
        assert.equal(ours(String(v)), v >= lo && v <= hi, `${v} in [${lo}, ${hi}]`);
      }
      assert.equal(ours('007'), false);
      assert.equal(ours('-0'), false);
    }
  });
});

describe('JSON Schema languages', () => {
  const intent = {
    type: 'object',
    properties: {
      action: { type: 'string', enum: ['activate', 'deactivate'] },
      object: { type: 'string' },
      location: { type: ['string', 'null'] },
    },
    required: ['action', 'object', 'location'],
    additionalProperties: false,
  };

  it('accepts the declared properties in order, with free whitespace', () => {
    const ok = matcher(compileJsonSchema(intent));
    assert.ok(ok('{"action": "activate", "object": "lights", "location": "kitchen"}'));
    assert.ok(ok('{ "action":"deactivate" ,\n "object":"l\\"a\\u00e9mp", "location": null }'));
    assert.ok(!ok('{"object": "lights", "action": "activate", "location": null}'), 'declaration order');
    assert.ok(!ok('{"action": "open", "object": "x", "location": null}'), 'enum');
    assert.ok(!ok('{"action": "activate", "object": "x"}'), 'required');
    assert.ok(!ok('{"action": "activate", "object": "x", "location": null, "extra": 1}'), 'no other property');
    assert.ok(!ok('{"action": "activate", "object": "a\nb", "location": null}'), 'raw control character');
  });

  it('leaves optional properties out in any combination, commas right', () => {
    const ok = matcher(
      compileJsonSchema({
        type: 'object',
        properties: { a: { type: 'integer' }, b: { type: 'boolean' }, c: { type: 'null' } },
        required: ['b'],
      }),
    );
    for (const text of [
      '{"b": true}',
      '{"a": 1, "b": false}',
      '{"b": true, "c": null}',
      '{"a": -3, "b": true, "c": null}',
    ])
      assert.ok(ok(text), text);
    for (const text of ['{}', '{"a": 1}', '{, "b": true}', '{"b": true,}', '{"a": 1 "b": true}'])
      assert.ok(!ok(text), text);
  });

  it('handles arrays, bounds, nested objects, anyOf, const, refs and recursion', () => {
    const schema = {
      $defs: {
        node: {
          type: 'object',
          properties: {
            name: { const: 'n' },
            children: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 },
          },
          required: ['name', 'children'],
          additionalProperties: false,
        },
      },
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string', maxLength: 3 }, minItems: 1, maxItems: 3 },
        score: { type: 'number', minimum: 0, maximum: 10 },
        tree: { $ref: '#/$defs/node' },
        either: {
          anyOf: [
            { type: 'integer', minimum: 1 },
            { type: 'string', pattern: '^x+$' },
          ],
        },
      },
      required: ['tags', 'score', 'tree', 'either'],
      additionalProperties: false,
    };
    const ok = matcher(compileJsonSchema(schema, { maxDepth: 3 }));
    const tree = '{"name": "n", "children": [{"name": "n", "children": []}]}';
    assert.ok(ok(`{"tags": ["ab"], "score": 9.75, "tree": ${tree}, "either": 5}`));
    assert.ok(ok(`{"tags": ["a", "b", "abc"], "score": 10, "tree": ${tree}, "either": "xx"}`));
    assert.ok(!ok(`{"tags": [], "score": 1, "tree": ${tree}, "either": 5}`), 'minItems');
    assert.ok(!ok(`{"tags": ["abcd"], "score": 1, "tree": ${tree}, "either": 5}`), 'maxLength');
    assert.ok(!ok(`{"tags": ["a"], "score": 10.5, "tree": ${tree}, "either": 5}`), 'maximum');
    assert.ok(!ok(`{"tags": ["a"], "score": 1, "tree": ${tree}, "either": 0}`), 'minimum in anyOf');
    assert.ok(!ok(`{"tags": ["a"], "score": 1, "tree": ${tree}, "either": "xy"}`), 'pattern');
    const deep =
      '{"name": "n", "children": [{"name": "n", "children": [{"name": "n", "children": [{"name": "n", "children": []}]}]}]}';
    assert.ok(!ok(`{"tags": ["a"], "score": 1, "tree": ${deep}, "either": 1}`), 'recursion bounded at 3');
  });

  it('searches unanchored patterns and escapes them as JSON', () => {
    const ok = matcher(compileJsonSchema({ type: 'string', pattern: 'a"b' }));
    assert.ok(ok('"xxa\\"byy"'));
    assert.ok(!ok('"a"b"'));
    const anchored = matcher(compileJsonSchema({ type: 'string', pattern: '^\\d{3}$' }));
    assert.ok(anchored('"123"'));
    assert.ok(!anchored('"1234"'));
  });

  it('refuses keywords it would otherwise ignore', () => {
    for (const [schema, word] of [
      [{ type: 'array', uniqueItems: true }, 'uniqueItems'],
      [{ not: { type: 'null' } }, 'not'],
      [{ type: 'object', patternProperties: {} }, 'patternProperties'],
      [{ type: 'string', format: 'ipv6' }, 'ipv6'],
      [{ type: 'number', multipleOf: 0.5 }, 'multipleOf'],
    ] as const) {
      assert.throws(
        () => compileJsonSchema(schema, { param: 'response_format.json_schema.schema' }),
        (e) =>
          isUnmaskError(e, 'invalid_parameter') &&
          e.message.includes(word) &&
          e.message.includes('response_format.json_schema.schema'),
      );
    }
  });

  it('plain JSON objects nest up to the depth limit', () => {
    const ok = matcher(anyJsonObject({ maxDepth: 2 }));
    assert.ok(ok('{"a": [1, {"b": null}], "c": "d"}'.replace('{"b": null}', '2')));
    assert.ok(ok('{"a": {"b": [true, false]}}'.replace('[true, false]', '1')));
    assert.ok(!ok('{"a": {"b": {"c": 1}}}'));
    assert.ok(!ok('[1]'), 'the top level is an object');
    assert.ok(!ok('{"a": 01}'));
  });
});

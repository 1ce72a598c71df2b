import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError } from '@unmask/core';
import { scaffoldFromJsonSchema } from './json-scaffold.js';

describe('JSON schema scaffolding', () => {
  it('scaffolds a JSON schema into fixed punctuation and keys with one slot per value', () => {
    const vocab = [
      '{"',
      'action',
      '": "',
      '", "',
      'object',
      '"}',
      '{',
      '}',
      '"',
      ': ',
      ', ',
      'location',
      'lights',
      'lamp',
    ];
    const encode = (text: string) => {
      const ids: number[] = [];
      let rest = text;
      while (rest) {
        const match = [...vocab].sort((x, y) => y.length - x.length).find((v) => rest.startsWith(v));
        if (!match) throw new Error(`cannot encode ${rest}`);
        ids.push(vocab.indexOf(match));
        rest = rest.slice(match.length);
      }
      return ids;
    };
    const template = scaffoldFromJsonSchema(
      {
        type: 'object',
        properties: { action: { type: 'string', maxLength: 2 }, object: { enum: ['lights', 'lamp'] } },
      },
      { encode },
    );
    assert.deepEqual(
      template.parts.map((p) => (p.type === 'slot' ? `<${p.name}:${p.length}>` : p.ids.map((i) => vocab[i]).join(''))),
      ['{"action": "', '<action:2>', '", "object": "', '<object:1>', '"}'],
    );
  });

  it('refuses JSON schema types it cannot scaffold, naming the path', () => {
    assert.throws(
      () => scaffoldFromJsonSchema({ type: 'object', properties: { tags: { type: 'array' } } }, { encode: () => [1] }),
      (e) => isUnmaskError(e, 'invalid_parameter') && /tags/.test(e.message) && /"array"/.test(e.message),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnmaskError } from '@unmask/core';
import { fieldNames, inRequestTerms, media, PIPELINE_FIELDS } from './request-fields.js';

describe('the names errors give a request’s fields', () => {
  it('a medium keeps the field it came from; bare bytes are named image / images[i], audio / audio[i]', () => {
    const bytes = new Uint8Array([1]);
    assert.deepEqual(
      media([bytes], 'image').map((m) => m.field),
      ['image'],
    );
    assert.deepEqual(
      media([bytes, { data: bytes, field: 'messages[1].content[0].image_url.url' }], 'image').map((m) => m.field),
      ['images[0]', 'messages[1].content[0].image_url.url'],
    );
    assert.deepEqual(
      media([bytes, bytes], 'audio').map((m) => m.field),
      ['audio[0]', 'audio[1]'],
    );
  });

  it('a request’s own names replace the pipeline’s, field by field', () => {
    assert.deepEqual(fieldNames(undefined), PIPELINE_FIELDS);
    assert.deepEqual(fieldNames({ maxTokens: 'max_tokens' }), { ...PIPELINE_FIELDS, maxTokens: 'max_tokens' });
  });

  it('names core’s own parameters (prompt positions, constraint, strategy) by the request’s fields', () => {
    const fields = fieldNames({ prompt: 'messages', strategy: 'diffusion.strategy' });
    const renamed = (error: UnmaskError) => inRequestTerms(error, fields, 'response_format') as UnmaskError;
    const long = renamed(new UnmaskError('context_length_exceeded', 'the prompt is too long', 'promptIds'));
    assert.deepEqual(
      [long.param, long.message, long.code],
      ['messages', 'messages: the prompt is too long', 'context_length_exceeded'],
    );
    const steps = renamed(new UnmaskError('invalid_parameter', 'strategy.steps: too many', 'strategy.steps'));
    assert.deepEqual([steps.param, steps.message], ['diffusion.strategy.steps', 'diffusion.strategy.steps: too many']);
    const unsatisfiable = renamed(new UnmaskError('constraint_unsatisfiable', 'no answer fits', 'constraint'));
    assert.equal(unsatisfiable.param, 'response_format');
    const media = new UnmaskError('invalid_media', 'x: corrupt', 'messages[0].content[0].image_url.url');
    assert.equal(renamed(media), media, 'already the request’s name');
    assert.equal(inRequestTerms(long, undefined, 'responseFormat'), long, 'a request without names keeps core’s');
  });
});

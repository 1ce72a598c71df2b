import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnmaskError, type UnmaskErrorCode } from '@unmask/core';
import { ApiError, toApiError } from './api-error.js';
import { bearerCheck } from './bearer-auth.js';
import { jsonDepthExceeds } from './json-depth.js';
import { describeIssues } from './zod-issues.js';

describe('error mapping', () => {
  it('maps every UnmaskError code to its HTTP status', () => {
    const expected: Record<UnmaskErrorCode, number> = {
      invalid_parameter: 400,
      unsupported_parameter: 400,
      context_length_exceeded: 400,
      constraint_unsatisfiable: 400,
      invalid_media: 422,
      too_large: 413,
      timeout: 504,
      aborted: 503,
      invalid_bundle: 500,
      runtime_error: 500,
    };
    for (const [code, status] of Object.entries(expected)) {
      assert.equal(toApiError(new UnmaskError(code as UnmaskErrorCode, 'm', 'p')).status, status, code);
    }
  });

  it('hides the message of server-side failures', () => {
    const api = toApiError(new UnmaskError('runtime_error', 'worker 3 died at /secret/path'));
    assert.doesNotMatch(api.message, /secret/);
    assert.equal(toApiError(new TypeError('x is undefined')).body().error.message, 'internal server error');
  });

  it('keeps an ApiError as it is', () => {
    const e = new ApiError(429, 'rate_limit_error', 'busy', 'queue_full');
    assert.equal(toApiError(e), e);
  });
});

describe('zod issues as one sentence', () => {
  it('names the deepest field of a failed union and formats array indices', () => {
    const { message, param } = describeIssues([
      {
        code: 'invalid_union',
        path: ['messages', 0, 'content'],
        message: 'Invalid input',
        errors: [
          [{ code: 'invalid_type', path: [], message: 'expected string' }],
          [{ code: 'invalid_type', path: [1, 'image_url'], message: 'expected object' }],
        ],
      },
    ]);
    assert.equal(param, 'messages[0].content[1].image_url');
    assert.equal(message, 'messages[0].content[1].image_url: expected object');
  });
});

describe('JSON depth', () => {
  it('measures nesting without recursion', () => {
    assert.equal(jsonDepthExceeds({ a: [1, { b: 2 }] }, 3), false);
    assert.equal(jsonDepthExceeds({ a: [1, { b: {} }] }, 3), true);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(jsonDepthExceeds(deep, 64), true);
  });
});

describe('bearer auth', () => {
  it('accepts the key and refuses a missing or wrong one with 401', () => {
    const check = bearerCheck('k1');
    check('Bearer k1');
    check('bearer   k1 ');
    assert.throws(
      () => check(undefined),
      (e: unknown) => e instanceof ApiError && e.status === 401 && e.code === 'missing_api_key',
    );
    assert.throws(
      () => check('Bearer k2'),
      (e: unknown) => e instanceof ApiError && e.code === 'invalid_api_key',
    );
    assert.throws(
      () => check('Basic k1'),
      (e: unknown) => e instanceof ApiError && e.code === 'missing_api_key',
    );
  });
});

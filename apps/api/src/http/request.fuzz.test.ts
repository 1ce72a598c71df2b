import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { assertFuzz, ciFuzzOptions } from '@unmask/core/fuzz';
import { closeFuzzServer, httpRequestTarget } from './request.fuzz.js';

describe('fuzzing the HTTP request layer (bounded; `npm run fuzz` runs it for longer)', () => {
  after(closeFuzzServer);

  it(`${httpRequestTarget.name}: mutated and random JSON and multipart requests get 200 or a clean 4xx`, async () => {
    const report = await assertFuzz(httpRequestTarget, ciFuzzOptions());
    assert.ok(report.executions > 0);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission } from './admission.js';
import { ApiError } from './http/api-error.js';
import { Metrics } from './metrics.js';

describe('Admission: the bounded queue', () => {
  it('grants slots up to the limit, queues in order, and refuses past the queue with 429 + Retry-After', async () => {
    const admission = new Admission(2, 1, new Metrics());
    const signal = new AbortController().signal;
    const a = await admission.acquire(signal);
    await admission.acquire(signal);
    const order: string[] = [];
    const c = admission.acquire(signal).then((release) => {
      order.push('c');
      return release;
    });
    assert.deepEqual(admission.depth, { active: 2, waiting: 1 });
    await assert.rejects(
      admission.acquire(signal),
      (e: unknown) => e instanceof ApiError && e.status === 429 && Number(e.headers['retry-after']) >= 1,
    );
    a();
    a(); // releasing twice frees one slot only
    (await c)();
    assert.deepEqual(order, ['c']);
    assert.deepEqual(admission.depth, { active: 1, waiting: 0 });
  });

  it('drops a waiting request whose signal aborts', async () => {
    const metrics = new Metrics();
    const admission = new Admission(1, 4, metrics);
    const held = await admission.acquire(new AbortController().signal);
    const controller = new AbortController();
    const waiting = admission.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
    assert.deepEqual(admission.depth, { active: 1, waiting: 0 });
    held();
    assert.deepEqual(admission.depth, { active: 0, waiting: 0 });
  });
});

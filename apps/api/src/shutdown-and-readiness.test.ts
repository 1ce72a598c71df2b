import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Unmask } from '@unmask/pipeline';
import { errorBodySchema } from '@unmask/protocol';
import { configWith } from './config.js';
import { buildServer } from './server.js';
import { MULTIMODAL_BUNDLE, startServer } from './test-support/fixtures.js';

describe('shutdown', () => {
  it('fails /readyz first, serves through SHUTDOWN_GRACE_MS, then closes the listener', async () => {
    const server = await startServer({ SHUTDOWN_GRACE_MS: 1500 });
    try {
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const started = performance.now();
      const drained = server.drain();
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(errorBodySchema.parse(await ready.json()).error.code, 'shutting_down');
      const served = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'q' }], max_tokens: 4 }),
      });
      assert.equal(served.status, 200, 'requests are still served during the grace period');
      await drained;
      assert.ok(performance.now() - started >= 1400, 'the listener stayed open for the grace period');
      await assert.rejects(fetch(`${base}/healthz`), 'then nothing listens');
    } finally {
      await server.unmask.close();
    }
  });
});

describe('readiness and the ONNX workers', () => {
  let unmask: Unmask;
  let server: Awaited<ReturnType<typeof buildServer>>;
  before(async () => {
    // More workers than graphs, so that one holds no session (a crashed worker with sessions is
    // restarted and reloads them, which counts as answering).
    unmask = await Unmask.load(MULTIMODAL_BUNDLE, { poolSize: 8 });
    server = await buildServer({
      config: configWith({ LOG_LEVEL: 'silent', DEMO_DIR: '/nonexistent-demo-dir' }),
      model: unmask,
    });
  });
  after(async () => {
    await server.app.close();
    await unmask.close();
  });

  it('/readyz fails once a worker is disabled after repeated crashes', async () => {
    assert.equal((await server.app.inject('/readyz')).statusCode, 200);
    const pool = unmask.bundle.pool;
    let idle = -1;
    for (let i = 0; i < pool.size && idle < 0; i++) if ((await pool.stats(i)).sessions === 0) idle = i;
    assert.ok(idle >= 0, 'a worker without sessions');
    for (let crash = 0; crash < 3; crash++) await assert.rejects(pool.simulateCrash(idle));
    assert.equal(pool.disabled.length, 1);
    const res = await server.app.inject('/readyz');
    assert.equal(res.statusCode, 503);
    const body = errorBodySchema.parse(res.json());
    assert.equal(body.error.code, 'worker_unhealthy');
    assert.match(body.error.message, /1 of 8 ONNX workers are disabled after repeated crashes/);
    assert.equal((await server.app.inject('/healthz')).statusCode, 200, 'the process is still alive');
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { errorBodySchema } from '@unmask/protocol';
import { metricValue, startServer } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

/** 120 one-token steps: long enough to hold a decoding slot while other requests arrive. */
const LONG = {
  messages: [{ role: 'user', content: 'a long answer' }],
  max_tokens: 120,
  diffusion: { strategy: { name: 'low_confidence' } },
};
const SHORT = { messages: [{ role: 'user', content: 'q' }], max_tokens: 4 };

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), 'condition never became true');
}

describe('under load: the bounded queue and the deadline', () => {
  const servers: Started[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  const chat = (server: Started, payload: object) =>
    server.app.inject({ method: 'POST', url: '/v1/chat/completions', payload });

  it('queues requests beyond the decoding slots and refuses those beyond the queue with 429 and Retry-After', async () => {
    const server = await startServer({ MAX_CONCURRENT: 1, QUEUE_SIZE: 1 });
    servers.push(server);
    const first = chat(server, LONG);
    await until(() => server.services.admission.depth.active === 1);
    const second = chat(server, SHORT);
    await until(() => server.services.admission.depth.waiting === 1);
    const third = await chat(server, SHORT);
    assert.equal(third.statusCode, 429);
    assert.ok(Number(third.headers['retry-after']) >= 1);
    const body = errorBodySchema.parse(third.json());
    assert.equal(body.error.type, 'rate_limit_error');
    assert.equal(body.error.code, 'queue_full');
    assert.equal((await first).statusCode, 200);
    assert.equal((await second).statusCode, 200, 'the queued request is served once a slot frees');
    const metrics = (await server.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'unmask_queue_rejected_total'), 1);
    assert.equal(metricValue(metrics, 'unmask_queue_depth'), 0);
    assert.equal((await chat(server, SHORT)).statusCode, 200);
  });

  it('refuses a request the pipeline can tell is bad (a strategy that cannot run, tools it cannot honour) before it takes a queue slot', async () => {
    const server = await startServer({ MAX_CONCURRENT: 1, QUEUE_SIZE: 0 });
    servers.push(server);
    // The only slot is taken and nothing may wait: a request that reaches the queue gets 429.
    const release = await server.services.admission.acquire(new AbortController().signal);
    try {
      assert.equal((await chat(server, SHORT)).statusCode, 429);
      const cases: [object, string][] = [
        [{ ...SHORT, diffusion: { strategy: { name: 'low_confidence', steps: 8 } } }, 'diffusion.strategy.steps'],
        [
          { ...SHORT, diffusion: { strategy: { name: 'confident', block_length: 3 } } },
          'diffusion.strategy.block_length',
        ],
        [
          {
            ...SHORT,
            tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', not: {} } } }],
            tool_choice: 'required',
          },
          'tools[0].function.parameters',
        ],
        [
          {
            ...SHORT,
            response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { uniqueItems: true } } },
          },
          'response_format.json_schema.schema',
        ],
      ];
      for (const [payload, param] of cases) {
        const res = await chat(server, payload);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(errorBodySchema.parse(res.json()).error.param, param);
      }
      const metrics = (await server.app.inject('/metrics')).body;
      assert.equal(metricValue(metrics, 'unmask_queue_rejected_total'), 1, 'only the valid request met the full queue');
    } finally {
      release();
    }
    assert.equal((await chat(server, SHORT)).statusCode, 200);
  });

  it('answers 504 when a request misses its deadline, waiting or decoding, and counts it', async () => {
    const server = await startServer({ MAX_CONCURRENT: 1, REQUEST_TIMEOUT_MS: 30 });
    servers.push(server);
    const [decoding, waiting] = await Promise.all([chat(server, LONG), chat(server, LONG)]);
    for (const res of [decoding, waiting]) {
      assert.equal(res.statusCode, 504, res.body);
      const body = errorBodySchema.parse(res.json());
      assert.equal(body.error.code, 'timeout');
      assert.match(body.error.message, /deadline of 30 ms/);
    }
    const metrics = (await server.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'unmask_generations_total', 'outcome="timeout"'), 2);
    assert.equal(metricValue(metrics, 'unmask_active_generations'), 0);
  });

  it('answers 503 while the model is still loading, and /readyz says not ready', async () => {
    const { buildServer } = await import('./server.js');
    const { configWith } = await import('./config.js');
    const pending = buildServer({
      config: configWith({ LOG_LEVEL: 'silent', DEMO_DIR: '/nonexistent' }),
      model: new Promise(() => {}),
    });
    const server = await pending;
    const ready = await server.app.inject('/readyz');
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().error.code, 'model_not_ready');
    assert.equal((await server.app.inject('/healthz')).statusCode, 200);
    assert.equal(
      (await server.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: SHORT })).statusCode,
      503,
    );
    await server.app.close();
  });
});

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chatCompletionChunkSchema, chatCompletionSchema, errorBodySchema, modelListSchema } from '@unmask/protocol';
import { dataUrl, multipart, pngBytes, sseData, startServer, TEXT_BUNDLE, wavBytes } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

const chat = (server: Started, body: unknown, headers: Record<string, string> = {}) =>
  server.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: body as object,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('the API server through fastify.inject (tiny multimodal bundle)', () => {
  let server: Started;
  before(async () => {
    server = await startServer({ PREFIX_CACHE_BYTES: 256 * 2 ** 20 });
  });
  after(async () => server.close());

  it('lists the model with the modalities it accepts', async () => {
    const res = await server.app.inject('/v1/models');
    assert.equal(res.statusCode, 200);
    const list = modelListSchema.parse(res.json());
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0]?.id, 'tiny-random-multimodal');
    assert.deepEqual(list.data[0]?.modalities, ['text', 'image', 'audio']);
  });

  it('answers /healthz and /readyz, and tags every response with a request id', async () => {
    const health = await server.app.inject('/healthz');
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await server.app.inject({ url: '/readyz', headers: { 'x-request-id': 'abc-123' } });
    assert.deepEqual(ready.json(), { status: 'ready', model: 'tiny-random-multimodal' });
    assert.equal(ready.headers['x-request-id'], 'abc-123');
    assert.match(String(health.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('answers a text chat completion in OpenAI shape, usage counting forward passes', async () => {
    const res = await chat(server, {
      model: 'x',
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 8,
      diffusion: { strategy: { name: 'low_confidence' } },
    });
    assert.equal(res.statusCode, 200);
    const body = chatCompletionSchema.parse(res.json());
    assert.equal(body.object, 'chat.completion');
    assert.match(body.id, /^chatcmpl-/);
    assert.equal(body.choices.length, 1);
    assert.equal(body.choices[0]?.message.role, 'assistant');
    assert.equal(body.usage.forward_passes, 8, 'low_confidence with steps = answer length commits one token per pass');
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
    assert.ok(body.usage.completion_tokens <= 8);
  });

  it('gives the same answer whole and streamed (temperature 0): the deltas add up to the text', async () => {
    const request = {
      messages: [{ role: 'user', content: 'say something' }],
      max_tokens: 16,
      diffusion: { strategy: { name: 'threshold', threshold: 0.5 } },
    };
    const whole = chatCompletionSchema.parse((await chat(server, request)).json());
    const res = await chat(server, { ...request, stream: true, stream_options: { include_usage: true } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const events = sseData(res.body);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => chatCompletionChunkSchema.parse(JSON.parse(e)));
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, whole.choices[0]?.message.content);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finish.length, 1);
    assert.equal(finish[0]?.choices[0]?.finish_reason, whole.choices[0]?.finish_reason);
    const usage = chunks.at(-1);
    assert.deepEqual(usage?.choices, []);
    assert.deepEqual(usage?.usage, whole.usage);
    assert.ok(
      chunks.every((c) => c.diffusion_step === undefined),
      'no step events unless asked for',
    );
  });

  it('sends one diffusion_step per denoising step when asked, covering every canvas position once', async () => {
    const res = await chat(server, {
      messages: [{ role: 'user', content: 'count' }],
      max_tokens: 12,
      stream: true,
      diffusion: { stream_steps: true, strategy: { name: 'low_confidence', steps: 6, eos_fill: false } },
    });
    const chunks = sseData(res.body)
      .slice(0, -1)
      .map((e) => chatCompletionChunkSchema.parse(JSON.parse(e)));
    const steps = chunks.flatMap((c) => (c.diffusion_step ? [c.diffusion_step] : []));
    assert.deepEqual(
      steps.map((s) => s.step),
      [1, 2, 3, 4, 5, 6],
    );
    assert.ok(steps.every((s) => s.committed.length === 2 && s.canvas_length === 12));
    const positions = steps.flatMap((s) => s.committed.map((c) => c.position)).sort((a, b) => a - b);
    assert.deepEqual(
      positions,
      Array.from({ length: 12 }, (_, i) => i),
    );
    assert.deepEqual(
      steps.map((s) => s.masks_remaining),
      [10, 8, 6, 4, 2, 0],
    );
    assert.ok(
      steps.every((s) =>
        s.committed.every(
          (c) => typeof c.text === 'string' && (c.confidence === null || (c.confidence > 0 && c.confidence <= 1)),
        ),
      ),
    );
  });

  it('answers about an image (data: URL) and about a WAV (input_audio)', async () => {
    const png = await pngBytes();
    const image = await chat(server, {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl('image/png', png) } },
            { type: 'text', text: 'what color?' },
          ],
        },
      ],
      max_tokens: 8,
    });
    assert.equal(image.statusCode, 200, image.body);
    const imageBody = chatCompletionSchema.parse(image.json());
    const text = chatCompletionSchema.parse(
      (await chat(server, { messages: [{ role: 'user', content: 'what color?' }], max_tokens: 8 })).json(),
    );
    assert.equal(imageBody.usage.prompt_tokens - text.usage.prompt_tokens, 9, 'the tiny bundle splices 9 image tokens');

    const audio = await chat(server, {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: wavBytes().toString('base64'), format: 'wav' } },
            { type: 'text', text: 'what was said?' },
          ],
        },
      ],
      max_tokens: 8,
    });
    assert.equal(audio.statusCode, 200, audio.body);
    assert.ok(chatCompletionSchema.parse(audio.json()).usage.prompt_tokens > text.usage.prompt_tokens);
  });

  it('serves JSON mode through grammar-constrained decoding: refused before decoding when the vocabulary cannot write it, bad schemas named', async () => {
    // The tiny vocabulary has no JSON punctuation: no answer can satisfy a JSON format.
    const schema = { type: 'object', properties: { color: { type: 'string', maxLength: 3 }, ok: { type: 'boolean' } } };
    const request = {
      messages: [{ role: 'user', content: 'describe' }],
      response_format: { type: 'json_schema', json_schema: { name: 'c', schema } },
    };
    for (const body of [
      request,
      { ...request, stream: true },
      { ...request, response_format: { type: 'json_object' } },
    ]) {
      const res = await chat(server, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'constraint_unsatisfiable');
      assert.equal(res.json().error.param, 'response_format');
    }
    const unsupported = await chat(server, {
      ...request,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'c', schema: { type: 'array', uniqueItems: true } },
      },
    });
    assert.equal(unsupported.statusCode, 400);
    assert.equal(unsupported.json().error.param, 'response_format.json_schema.schema');
    assert.match(unsupported.json().error.message, /uniqueItems/);
  });

  it('cuts the answer at a stop sequence, whole and streamed, with finish_reason stop', async () => {
    const base = {
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 12,
      diffusion: { strategy: { name: 'low_confidence' } },
    };
    const free = chatCompletionSchema.parse((await chat(server, base)).json()).choices[0]?.message.content ?? '';
    const words = free.split(' ').filter(Boolean);
    assert.ok(words.length >= 2, `need a multi-word answer, got ${JSON.stringify(free)}`);
    const stop = free.slice(free.indexOf(words[1] as string));
    const cut = chatCompletionSchema.parse((await chat(server, { ...base, stop })).json());
    assert.equal(cut.choices[0]?.message.content, free.slice(0, free.indexOf(stop)));
    assert.equal(cut.choices[0]?.finish_reason, 'stop');
    const streamed = sseData((await chat(server, { ...base, stop: [stop], stream: true })).body)
      .slice(0, -1)
      .map((e) => JSON.parse(e));
    assert.equal(streamed.map((c) => c.choices[0]?.delta?.content ?? '').join(''), cut.choices[0]?.message.content);
    assert.equal(streamed.at(-1).choices[0].finish_reason, 'stop');
  });

  it('answers multipart uploads on /v1/vqa and /v1/slu', async () => {
    const vqa = await multipart(
      { prompt: 'what is it?', max_tokens: '8', strategy: 'threshold', threshold: '0.5' },
      { field: 'image', name: 'x.png', type: 'image/png', bytes: await pngBytes() },
    );
    const res = await server.app.inject({ method: 'POST', url: '/v1/vqa', ...vqa });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(chatCompletionSchema.parse(res.json()).object, 'chat.completion');

    const slu = await multipart(
      { prompt: 'what was said?', max_tokens: '8', stream: 'true' },
      { field: 'audio', name: 'a.wav', type: 'audio/wav', bytes: wavBytes() },
    );
    const streamed = await server.app.inject({ method: 'POST', url: '/v1/slu', ...slu });
    assert.equal(streamed.statusCode, 200, streamed.body);
    assert.equal(sseData(streamed.body).at(-1), '[DONE]');

    const bad = await multipart(
      { prompt: 'q', strategy: 'nope' },
      { field: 'image', name: 'x.png', type: 'image/png', bytes: await pngBytes() },
    );
    const refused = await server.app.inject({ method: 'POST', url: '/v1/vqa', ...bad });
    assert.equal(refused.statusCode, 400);
    assert.equal(errorBodySchema.parse(refused.json()).error.param, 'strategy.name');
  });

  it('publishes the OpenAPI document (from the zod schemas), a docs page and a placeholder home page', async () => {
    const doc = (await server.app.inject('/openapi.json')).json();
    assert.ok(doc.openapi.startsWith('3.'));
    assert.ok(doc.paths['/v1/chat/completions'].post.requestBody);
    assert.ok(doc.paths['/v1/vqa'] && doc.paths['/v1/slu'] && doc.paths['/v1/models']);
    const docs = await server.app.inject('/docs/');
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
    const home = await server.app.inject('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /demo is not built/);
  });

  it("keeps an image's prompt prefix across requests with the prefix cache, and counts hits and bytes in /metrics", async () => {
    const png = await pngBytes(24, 24);
    const ask = (question: string) =>
      chat(server, {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: dataUrl('image/png', png) } },
              { type: 'text', text: question },
            ],
          },
        ],
        max_tokens: 6,
        diffusion: { cache: 'prefix' },
      });
    const before = server.unmask.prefixCache!.stats();
    assert.equal((await ask('what color?')).statusCode, 200);
    assert.equal((await ask('what shape?')).statusCode, 200);
    const after = server.unmask.prefixCache!.stats();
    assert.equal(after.misses - before.misses, 1, 'the first question computes the image prefix');
    assert.equal(after.hits - before.hits, 1, 'the second reuses it');
    const text = (await server.app.inject('/metrics')).body;
    assert.match(text, new RegExp(`unmask_prefix_cache_hits_total ${after.hits}\\b`));
    assert.match(text, new RegExp(`unmask_prefix_cache_bytes ${after.bytes}\\b`));
    assert.ok(after.bytes > 0);
    assert.match(text, /unmask_prefix_cache_capacity_bytes 268435456/);
  });

  it('exposes Prometheus metrics: requests by route and status, forward passes, model load time', async () => {
    const text = (await server.app.inject('/metrics')).body;
    assert.match(text, /http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} \d+/);
    assert.match(
      text,
      /http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/models",status="200"\}/,
    );
    assert.match(text, /unmask_forward_passes_count\{outcome="completed"\} [1-9]/);
    assert.match(text, /unmask_queue_depth 0/);
    assert.match(text, /unmask_model_load_seconds /);
  });
});

describe('the API server on a text-only bundle, with an API key', () => {
  let server: Started;
  before(async () => {
    server = await startServer({ API_KEY: 'sekret' }, TEXT_BUNDLE);
  });
  after(async () => server.close());

  it('refuses /v1 requests without the right bearer key (401) and leaves health checks open', async () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };
    const none = await chat(server, body);
    assert.equal(none.statusCode, 401);
    assert.equal(errorBodySchema.parse(none.json()).error.code, 'missing_api_key');
    const wrong = await chat(server, body, { authorization: 'Bearer sekreT' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, 'invalid_api_key');
    assert.equal((await chat(server, body, { authorization: 'Bearer sekret' })).statusCode, 200);
    assert.equal((await server.app.inject('/healthz')).statusCode, 200);
    const preflight = await server.app.inject({
      method: 'OPTIONS',
      url: '/v1/chat/completions',
      headers: { origin: 'https://x.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.statusCode, 204, 'a CORS preflight needs no key');
  });

  it('decides on the route the router matched: encoded, doubled-slash, case-changed and dot-segment paths get no way past the key', async () => {
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.app.server.address() as AddressInfo;
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    const paths = [
      '/%761/chat/completions',
      '/v%31/chat/completions',
      '/%76%31/chat/completions',
      '/v1/chat%2Fcompletions',
      '//v1/chat/completions',
      '/V1/chat/completions',
      '/v1/./chat/completions',
      '/x/../v1/chat/completions',
      '/v1/chat/completions/',
      '/v1/chat/completions?x=1',
      '/%76%31/models',
      '/v1//models',
    ];
    for (const path of paths) {
      const method = path.includes('models') ? 'GET' : 'POST';
      const res = await rawRequest(port, method, path, method === 'POST' ? body : undefined);
      assert.ok(res.status === 401 || res.status === 404, `${method} ${path} answered ${res.status} without a key`);
    }
    // the decoded path that does reach a handler is exactly the protected one
    assert.equal((await rawRequest(port, 'POST', '/%761/chat/completions', body)).status, 401);
    assert.equal(
      (await rawRequest(port, 'POST', '/%761/chat/completions', body, { authorization: 'Bearer sekret' })).status,
      200,
    );
  });

  it('puts CORS headers on a 401, so a browser can read why', async () => {
    const res = await chat(server, { messages: [{ role: 'user', content: 'hi' }] }, { origin: 'https://app.example' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });

  it('leaves /metrics and /docs open unless asked to protect them', async () => {
    assert.equal((await server.app.inject('/metrics')).statusCode, 200);
    assert.equal((await server.app.inject('/openapi.json')).statusCode, 200);
  });

  it('says which part a text-only model cannot take (400)', async () => {
    const res = await chat(
      server,
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'q' },
              { type: 'image_url', image_url: { url: dataUrl('image/png', await pngBytes()) } },
            ],
          },
        ],
      },
      { authorization: 'Bearer sekret' },
    );
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.param, 'messages[0].content[1].image_url.url');
  });
});

describe('an API key that also protects /metrics and the docs', () => {
  let server: Started;
  before(async () => {
    server = await startServer({ API_KEY: 'sekret', PROTECT_METRICS: true, PROTECT_DOCS: true }, TEXT_BUNDLE);
  });
  after(async () => server.close());

  it('asks for the key on /metrics, /openapi.json and /docs, and leaves health checks open', async () => {
    for (const url of ['/metrics', '/openapi.json', '/docs', '/docs/', '/docs/json', '/%6detrics']) {
      assert.equal((await server.app.inject(url)).statusCode, 401, url);
    }
    assert.equal(
      (await server.app.inject({ url: '/metrics', headers: { authorization: 'Bearer sekret' } })).statusCode,
      200,
    );
    assert.equal((await server.app.inject('/healthz')).statusCode, 200);
    assert.equal((await server.app.inject('/readyz')).statusCode, 200);
  });
});

/** One HTTP request with the path sent exactly as written (no client-side normalisation). */
function rawRequest(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

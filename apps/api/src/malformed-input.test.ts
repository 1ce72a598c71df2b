import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorBodySchema } from '@unmask/protocol';
import { dataUrl, multipart, pngBytes, startServer, wavBytes } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('malformed input: each gets its documented status and the server keeps serving', () => {
  let server: Started;
  before(async () => {
    server = await startServer();
  });
  after(async () => server.close());

  const post = (
    payload: string | Buffer | object,
    headers: Record<string, string> = { 'content-type': 'application/json' },
    url = '/v1/chat/completions',
  ) => server.app.inject({ method: 'POST', url, payload, headers });
  const withImage = (url: string) => ({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url } },
          { type: 'text', text: 'q' },
        ],
      },
    ],
    max_tokens: 4,
  });
  const withAudio = (data: string, format = 'wav') => ({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'input_audio', input_audio: { data, format } },
          { type: 'text', text: 'q' },
        ],
      },
    ],
    max_tokens: 4,
  });

  async function expectError(
    response: Awaited<ReturnType<typeof post>>,
    status: number,
    param?: string | null,
    code?: string,
  ) {
    assert.equal(response.statusCode, status, response.body);
    const body = errorBodySchema.parse(response.json());
    if (param !== undefined) assert.equal(body.error.param, param);
    if (code !== undefined) assert.equal(body.error.code, code);
    assert.doesNotMatch(response.body, /\bat .+:\d+:\d+/, 'no stack trace');
    // ... and the server still answers.
    const ok = await post({ messages: [{ role: 'user', content: 'still there?' }], max_tokens: 4 });
    assert.equal(ok.statusCode, 200, ok.body);
    return body;
  }

  it('a truncated PNG: 422 naming the image part', async () => {
    const png = await pngBytes(64, 64);
    const body = await expectError(
      await post(withImage(dataUrl('image/png', png.subarray(0, Math.floor(png.length / 2))))),
      422,
      'messages[0].content[0].image_url.url',
      'invalid_media',
    );
    assert.match(body.error.message, /truncated|corrupt|unreadable/i);
  });

  it('bytes that are no image at all under an image type: 422', async () => {
    await expectError(
      await post(withImage(dataUrl('image/png', Buffer.from('definitely not a png')))),
      422,
      'messages[0].content[0].image_url.url',
    );
  });

  it('a wrong MIME type: 415 (data: URL type, audio format, multipart file type, request Content-Type)', async () => {
    await expectError(
      await post(withImage(dataUrl('text/plain', Buffer.from('hello')))),
      415,
      'messages[0].content[0].image_url.url',
      'unsupported_media_type',
    );
    await expectError(
      await post(withAudio(wavBytes().toString('base64'), 'mp3')),
      415,
      'messages[0].content[0].input_audio.format',
    );
    const form = await multipart(
      { prompt: 'q' },
      { field: 'image', name: 'x.txt', type: 'text/plain', bytes: Buffer.from('hello') },
    );
    await expectError(await post(form.payload, form.headers, '/v1/vqa'), 415, 'image');
    await expectError(await post('{"messages": []}', { 'content-type': 'text/plain' }), 415);
    await expectError(
      await post(JSON.stringify({ prompt: 'q' }), { 'content-type': 'application/json' }, '/v1/slu'),
      415,
    );
  });

  it('a WAV whose header lies about its data size: 422 naming the audio part', async () => {
    const wav = wavBytes(0.2);
    wav.writeUInt32LE(10_000_000, 40); // the data chunk claims far more bytes than follow
    await expectError(
      await post(withAudio(wav.toString('base64'))),
      422,
      'messages[0].content[0].input_audio.data',
      'invalid_media',
    );
    const form = await multipart({ prompt: 'q' }, { field: 'audio', name: 'a.wav', type: 'audio/wav', bytes: wav });
    await expectError(await post(form.payload, form.headers, '/v1/slu'), 422, 'audio');
  });

  it('a 50 MB body: 413', async () => {
    const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(50 * 1024 * 1024) }] });
    await expectError(await post(big), 413, null, 'too_large');
  });

  it('deeply nested JSON: 400', async () => {
    const deep = `{"messages": [{"role": "user", "content": "q"}], "x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    await expectError(await post(deep), 400, null, 'json_too_deep');
  });

  it('broken JSON and an empty body: 400', async () => {
    await expectError(await post('{"messages": [', { 'content-type': 'application/json' }), 400, null, 'invalid_json');
    await expectError(await post('', { 'content-type': 'application/json' }), 400, null, 'invalid_json');
  });

  it('missing or mistyped fields: 400 naming the field', async () => {
    await expectError(await post({}), 400, 'messages');
    await expectError(await post({ messages: [{ role: 'user' }] }), 400, 'messages[0].content');
    await expectError(
      await post({ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }),
      400,
      'messages[0].content[0].image_url',
    );
    await expectError(
      await post({ messages: [{ role: 'user', content: 'q' }], max_tokens: 'many' }),
      400,
      'max_tokens',
    );
    await expectError(await post({ messages: [{ role: 'user', content: 'q' }], n: 2 }), 400, 'n');
    await expectError(
      await post({
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: dataUrl('image/png', await pngBytes()) } }],
          },
        ],
      }),
      400,
      'messages',
    );
    const form = await multipart(
      { max_tokens: '4' },
      { field: 'image', name: 'x.png', type: 'image/png', bytes: await pngBytes() },
    );
    await expectError(await post(form.payload, form.headers, '/v1/vqa'), 400, 'prompt');
    const noFile = await multipart({ prompt: 'q' });
    await expectError(await post(noFile.payload, noFile.headers, '/v1/vqa'), 400, 'image');
  });

  it('an unknown strategy or a bad strategy parameter: 400 naming it', async () => {
    const body = await expectError(
      await post({ messages: [{ role: 'user', content: 'q' }], diffusion: { strategy: { name: 'greedy' } } }),
      400,
      'diffusion.strategy.name',
    );
    assert.match(body.error.message, /confident/);
    await expectError(
      await post({
        messages: [{ role: 'user', content: 'q' }],
        diffusion: { strategy: { name: 'confident', threshold: 2 } },
      }),
      400,
      'diffusion.strategy.threshold',
    );
    await expectError(
      await post({
        messages: [{ role: 'user', content: 'q' }],
        max_tokens: 8,
        diffusion: { strategy: { name: 'low_confidence', block_length: 3 } },
      }),
      400,
      'diffusion.strategy.block_length',
    );
  });

  it('bad base64, a refused http URL, a prompt longer than the model: 400', async () => {
    await expectError(
      await post(withAudio('@@not base64@@')),
      400,
      'messages[0].content[0].input_audio.data',
      'invalid_base64',
    );
    await expectError(
      await post(withImage('https://example.com/cat.png')),
      400,
      'messages[0].content[0].image_url.url',
      'url_not_allowed',
    );
    // max_tokens is only a bound (4000 fits: the canvas stops at the model's positions); a
    // prompt that leaves no room for an answer does not.
    const capped = await post({
      messages: [{ role: 'user', content: 'q' }],
      max_tokens: 4000,
      diffusion: { strategy: { name: 'confident', threshold: 0.01 } },
    });
    assert.equal(capped.statusCode, 200, capped.body);
    await expectError(
      await post({ messages: [{ role: 'user', content: 'what '.repeat(200) }], max_tokens: 4 }),
      400,
      'messages',
      'context_length_exceeded',
    );
  });

  it('an unknown route: 404 in the same error shape', async () => {
    const res = await server.app.inject('/v1/completions');
    assert.equal(res.statusCode, 404);
    assert.equal(errorBodySchema.parse(res.json()).error.type, 'not_found_error');
  });

  it('random garbage never gets a 5xx', async () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = [null, 0, -1, 1e308, '', 'x', true, [], {}, [[]], { role: 'user' }, { type: 'image_url' }];
    const pick = () => values[Math.floor(rand() * values.length)];
    for (let i = 0; i < 60; i++) {
      const body =
        i % 3 === 0
          ? Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)))
          : JSON.stringify({
              messages: rand() < 0.5 ? pick() : [{ role: pick(), content: pick() }],
              max_tokens: pick(),
              diffusion: rand() < 0.5 ? pick() : { strategy: pick() },
              stream: pick(),
            });
      const res = await post(body);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `case ${i}: ${res.statusCode} ${res.body}`);
      errorBodySchema.parse(res.json());
    }
  });
});

describe('an unexpected failure inside the server', () => {
  let server: Started;
  before(async () => {
    server = await startServer();
  });
  after(async () => server.close());

  it('is a 500 without internals, and the server goes on', async () => {
    const original = server.unmask.askStream.bind(server.unmask);
    server.unmask.askStream = () => {
      throw new Error('secret detail at /srv/internal/path.ts:12:3');
    };
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { messages: [{ role: 'user', content: 'q' }] },
    });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), {
      error: { message: 'internal server error', type: 'server_error', param: null, code: 'internal_error' },
    });
    server.unmask.askStream = original;
    const ok = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { messages: [{ role: 'user', content: 'q' }], max_tokens: 4 },
    });
    assert.equal(ok.statusCode, 200);
  });
});

describe('media size limits', () => {
  let server: Started;
  before(async () => {
    server = await startServer({ MEDIA_LIMIT_BYTES: 4096 });
  });
  after(async () => server.close());

  it('refuses media over MEDIA_LIMIT_BYTES with 413, as a data: URL and as a multipart file', async () => {
    const big = Buffer.alloc(10_000, 7);
    const json = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: dataUrl('image/png', big) } },
              { type: 'text', text: 'q' },
            ],
          },
        ],
      },
    });
    assert.equal(json.statusCode, 413);
    assert.equal(json.json().error.param, 'messages[0].content[0].image_url.url');
    const form = await multipart({ prompt: 'q' }, { field: 'audio', name: 'a.wav', type: 'audio/wav', bytes: big });
    const multi = await server.app.inject({ method: 'POST', url: '/v1/slu', ...form });
    assert.equal(multi.statusCode, 413);
    assert.equal(multi.json().error.code, 'too_large');
    const ok = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { messages: [{ role: 'user', content: 'q' }], max_tokens: 4 },
    });
    assert.equal(ok.statusCode, 200);
  });
});

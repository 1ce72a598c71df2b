/**
 * Requests built to hurt the server (issue 14): malformed multipart, lying or trickled HTTP,
 * oversized prompts and media counts, out-of-range fields. Each gets a 4xx in OpenAI's error
 * shape, quickly, and the server goes on serving.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { errorBodySchema } from '@unmask/protocol';
import { dataUrl, multipart, pngBytes, startServer } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

/** Sends raw bytes on a fresh connection; resolves with everything the server sent until it closed. */
async function raw(port: number, chunks: (string | Buffer)[], gapMs = 0): Promise<{ text: string; ms: number }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = performance.now();
  let text = '';
  socket.on('data', (d) => (text += d.toString('latin1')));
  const closed = once(socket, 'close');
  socket.on('error', () => {});
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.write(chunk);
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
  }
  await closed;
  return { text, ms: performance.now() - started };
}

/** The JSON bodies of the HTTP responses in a raw exchange. */
function bodies(text: string): unknown[] {
  return text
    .split(/HTTP\/1\.1 /)
    .slice(1)
    .map((response) => {
      const body = response.slice(response.indexOf('\r\n\r\n') + 4);
      const end = body.lastIndexOf('}');
      return JSON.parse(body.slice(0, end + 1));
    });
}

describe('hostile requests', () => {
  let server: Started;
  let port: number;
  before(async () => {
    server = await startServer({
      HTTP_REQUEST_TIMEOUT_MS: 1500,
      MAX_PROMPT_CHARS: 2000,
      MAX_MEDIA_ITEMS: 2,
    });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    port = (server.app.server.address() as { port: number }).port;
  });
  after(async () => server.close());

  const post = (
    payload: string | Buffer | object,
    headers: Record<string, string> = {},
    url = '/v1/chat/completions',
  ) => server.app.inject({ method: 'POST', url, payload, headers });

  async function expectError(res: Awaited<ReturnType<typeof post>>, status: number, code?: string) {
    assert.equal(res.statusCode, status, res.body);
    const body = errorBodySchema.parse(res.json());
    if (code) assert.equal(body.error.code, code);
    const ok = await post({ messages: [{ role: 'user', content: 'still there?' }], max_tokens: 4 });
    assert.equal(ok.statusCode, 200, 'the server still answers');
    return body.error;
  }

  it('malformed multipart (no boundary, cut short, cut inside a header): 400 invalid_multipart, not 500', async () => {
    const form = await multipart(
      { prompt: 'q' },
      { field: 'image', name: 'x.png', type: 'image/png', bytes: await pngBytes() },
    );
    const noBoundary = await expectError(
      await post(form.payload, { 'content-type': 'multipart/form-data' }, '/v1/vqa'),
      400,
      'invalid_multipart',
    );
    assert.match(noBoundary.message, /malformed: Boundary not found/);
    const cut = await expectError(
      await post(form.payload.subarray(0, form.payload.length - 60), form.headers, '/v1/vqa'),
      400,
      'invalid_multipart',
    );
    assert.match(cut.message, /Unexpected end/);
    await expectError(await post(form.payload.subarray(0, 50), form.headers, '/v1/slu'), 400, 'invalid_multipart');
  });

  it('a multipart field over 1 MiB: 413 naming it (refused, never cut)', async () => {
    const form = await multipart({ prompt: 'x'.repeat(1024 * 1024 + 10) });
    const error = await expectError(await post(form.payload, form.headers, '/v1/vqa'), 413, 'too_large');
    assert.equal(error.param, 'prompt');
    assert.match(error.message, /over the limit of 1048576 bytes/);
  });

  it('a seed above 2^32 − 1 names that limit, whatever its size', async () => {
    for (const seed of [2 ** 32, 1e17, 1e300]) {
      const error = await expectError(await post({ messages: [{ role: 'user', content: 'q' }], seed }), 400);
      assert.equal(error.param, 'seed');
      assert.match(error.message, /4294967295/);
      assert.doesNotMatch(error.message, /9007199254740991/);
    }
    const form = await multipart(
      { prompt: 'q', seed: '1e17' },
      { field: 'image', name: 'x.png', type: 'image/png', bytes: await pngBytes() },
    );
    assert.match((await expectError(await post(form.payload, form.headers, '/v1/vqa'), 400)).message, /4294967295/);
  });

  it('five stop strings: a message about the limit of four, not about the type', async () => {
    const error = await expectError(
      await post({ messages: [{ role: 'user', content: 'q' }], stop: ['a', 'b', 'c', 'd', 'e'] }),
      400,
    );
    assert.equal(error.param, 'stop');
    assert.match(error.message, /at most 4 stop sequences/);
  });

  it('a prompt over MAX_PROMPT_CHARS: 413 before it is tokenized', async () => {
    const error = await expectError(
      await post({ messages: [{ role: 'user', content: 'word '.repeat(500) }] }),
      413,
      'too_large',
    );
    assert.match(error.message, /2500 characters, over the limit of 2000 \(MAX_PROMPT_CHARS\)/);
    const form = await multipart(
      { prompt: 'y'.repeat(2001) },
      { field: 'image', name: 'x.png', type: 'image/png', bytes: await pngBytes() },
    );
    await expectError(await post(form.payload, form.headers, '/v1/vqa'), 413, 'too_large');
  });

  it('MAX_PROMPT_CHARS counts the whole conversation: earlier turns and system messages too', async () => {
    const error = await expectError(
      await post({
        messages: [
          { role: 'system', content: 's'.repeat(1200) },
          { role: 'user', content: 'u'.repeat(500) },
          { role: 'assistant', content: [{ type: 'text', text: 'a'.repeat(300) }] },
          { role: 'user', content: 'and now?' },
        ],
      }),
      413,
      'too_large',
    );
    assert.match(error.message, /conversation has 2008 characters, over the limit of 2000 \(MAX_PROMPT_CHARS\)/);
  });

  it('more images and sounds than MAX_MEDIA_ITEMS: 400 before any is decoded', async () => {
    // The parts are not even valid base64: the count is checked first.
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,@@@' } };
    const error = await expectError(
      await post({ messages: [{ role: 'user', content: [image, image, image, { type: 'text', text: 'q' }] }] }),
      400,
      'too_many_media',
    );
    assert.equal(error.param, 'messages[0].content[2].image_url.url');
    assert.match(error.message, /3 images and sounds, over the limit of 2 \(MAX_MEDIA_ITEMS\)/);
  });

  it('a Content-Length shorter than the body, or not a number: 400 in the OpenAI shape', async () => {
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'q' }], max_tokens: 4 });
    const short = await raw(port, [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n${body}`,
    ]);
    const answers = bodies(short.text);
    assert.ok(answers.length >= 1, short.text);
    for (const answer of answers) errorBodySchema.parse(answer);
    assert.match(short.text, /"code":"bad_http_request"/, 'the rest of the body, read as a request, is refused');
    const nan = await raw(port, [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ten\r\n\r\n${body}`,
    ]);
    assert.match(nan.text, /^HTTP\/1\.1 400/);
    assert.equal(errorBodySchema.parse(bodies(nan.text)[0]).error.code, 'bad_http_request');
  });

  it('a body trickled one byte at a time is cut off at HTTP_REQUEST_TIMEOUT_MS with 408', {
    timeout: 20_000,
  }, async () => {
    const head =
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n';
    const trickle = Array.from({ length: 40 }, () => '{');
    const { text, ms } = await raw(port, [head, ...trickle], 250);
    assert.match(text, /^HTTP\/1\.1 408/, text);
    assert.equal(errorBodySchema.parse(bodies(text)[0]).error.code, 'request_timeout');
    assert.ok(ms < 10_000, `closed after ${Math.round(ms)} ms`);
  });

  it('an image request still works under these limits', async () => {
    const png = await pngBytes();
    const res = await post({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl('image/png', png) } },
            { type: 'text', text: 'q' },
          ],
        },
      ],
      max_tokens: 4,
    });
    assert.equal(res.statusCode, 200, res.body);
  });
});

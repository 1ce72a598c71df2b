import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pngBytes, startServer } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('the demo at /, CORS, and allow-listed image URLs', () => {
  let server: Started;
  let images: HttpServer;
  let imageBase: string;
  const demo = mkdtempSync(join(tmpdir(), 'unmask-demo-'));
  before(async () => {
    writeFileSync(join(demo, 'index.html'), '<!doctype html><title>demo</title><p>the built demo</p>');
    writeFileSync(join(demo, 'app.js'), 'console.log(1)');
    const png = await pngBytes();
    images = createServer((req, res) => {
      if (req.url === '/cat.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (req.url === '/page.html') res.writeHead(200, { 'content-type': 'text/html' }).end('<p>no</p>');
      else res.writeHead(404).end();
    }).listen(0, '127.0.0.1');
    await once(images, 'listening');
    imageBase = `http://127.0.0.1:${(images.address() as { port: number }).port}`;
    server = await startServer({
      DEMO_DIR: demo,
      CORS_ORIGIN: 'https://app.example',
      IMAGE_URL_ALLOWLIST: ['127.0.0.1'],
    });
  });
  after(async () => {
    await server.close();
    images.close();
    rmSync(demo, { recursive: true, force: true });
  });

  it('serves the built demo at / when its folder exists', async () => {
    const home = await server.app.inject('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /the built demo/);
    assert.equal((await server.app.inject('/app.js')).body, 'console.log(1)');
  });

  it('answers CORS preflights for the configured origin, on JSON and on streams', async () => {
    const preflight = await server.app.inject({
      method: 'OPTIONS',
      url: '/v1/chat/completions',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
    const stream = await server.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { origin: 'https://app.example' },
      payload: { messages: [{ role: 'user', content: 'q' }], max_tokens: 4, stream: true },
    });
    assert.equal(stream.headers['access-control-allow-origin'], 'https://app.example');
    assert.ok(stream.headers['x-request-id']);
    const other = await server.app.inject({ url: '/healthz', headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('fetches an http image URL from an allow-listed host, refusing a non-image type (415)', async () => {
    const ask = (url: string) =>
      server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
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
        },
      });
    const ok = await ask(`${imageBase}/cat.png`);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await ask(`${imageBase}/page.html`)).statusCode, 415);
    assert.equal((await ask(`${imageBase}/missing.png`)).statusCode, 422);
    assert.equal((await ask('http://localhost:1/cat.png')).statusCode, 400, 'localhost is not on the list');
  });
});

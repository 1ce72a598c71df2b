/**
 * Load benchmark: starts the server (`npm start`'s entry) on a loopback port in its own process,
 * drives it with autocannon (32 connections, 20 s) and prints throughput, p50/p99 latency and
 * the count of each status. It prints numbers; it asserts nothing.
 *
 *   node --import tsx apps/api/bench/load.ts                       # the tiny multimodal test bundle
 *   MODEL_DIR=models/default BENCH_KIND=image node --import tsx apps/api/bench/load.ts
 *
 * BENCH_CONNECTIONS (32), BENCH_SECONDS (20), BENCH_MAX_TOKENS (16), BENCH_KIND (text | image | stream),
 * and the server's own variables (MAX_BATCH_SIZE, QUEUE_SIZE, ...) are read from the environment.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import sharp from 'sharp';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TINY = fileURLToPath(new URL('../../../libs/pipeline/test-fixtures/tiny-multimodal', import.meta.url));
const SCENE = fileURLToPath(new URL('../../demo/public/samples/shapes-3.png', import.meta.url));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const maxTokens = Number(process.env.BENCH_MAX_TOKENS ?? 16);
const kind = process.env.BENCH_KIND ?? 'text';

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

async function requestBody(): Promise<string> {
  const question = { type: 'text', text: 'what is in the picture?' };
  let content: unknown = 'what is the answer to the question?';
  if (kind === 'image') {
    // A scene of the shapes world at 96 px, not a blank image: on a blank one a trained model may babble
    // for many passes (the default model did), which measures the model, not the server.
    const png = await sharp(SCENE).resize(96, 96).png().toBuffer();
    content = [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }, question];
  }
  return JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content }],
    max_tokens: maxTokens,
    stream: kind === 'stream',
  });
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['--import', 'tsx', MAIN], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    MODEL_DIR: process.env.MODEL_DIR ?? TINY,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
try {
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    const ready = await fetch(`${base}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    if (i > 1200) throw new Error('the server did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const body = await requestBody();
  console.log(
    `POST /v1/chat/completions (${kind}, max_tokens ${maxTokens}), ${connections} connections, ${seconds} s, model ${process.env.MODEL_DIR ?? 'tiny-multimodal test bundle'}`,
  );
  const result = await autocannon({
    url: `${base}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
    timeout: 60,
  });
  const statuses = Object.entries(result.statusCodeStats)
    .map(([code, { count }]) => `${code}: ${count}`)
    .join(', ');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const passes = /unmask_forward_passes_sum\{outcome="completed"\} (\S+)/.exec(metrics)?.[1];
  const done = /unmask_forward_passes_count\{outcome="completed"\} (\S+)/.exec(metrics)?.[1];
  console.log(
    `requests: ${result.requests.sent} sent, ${result.requests.total} answered, ${result.requests.sent - result.requests.total} still in flight when the run ended (at most ${connections}), ${result.errors} errors, ${result.timeouts} timeouts`,
  );
  console.log(`throughput: ${result.requests.average.toFixed(1)} req/s (mean over ${result.duration.toFixed(1)} s)`);
  console.log(`latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
  console.log(
    `statuses: ${statuses || 'none'} (1xx ${result['1xx']}, 2xx ${result['2xx']}, 4xx ${result['4xx']}, 5xx ${result['5xx']})`,
  );
  if (passes && done)
    console.log(`forward passes per completed request (server): ${(Number(passes) / Number(done)).toFixed(2)}`);
} finally {
  server.kill('SIGTERM');
  await once(server, 'exit');
}

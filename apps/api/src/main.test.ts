import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { MULTIMODAL_BUNDLE } from './test-support/fixtures.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return { child, output: () => output };
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  // Two minutes: loading the model on a machine shared with other builds can take one.
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server never became ready');
}

describe('the server process (npm start)', () => {
  it('refuses a malformed environment variable, naming it, with exit status 2', async () => {
    const { child, output } = start({ PORT: 'eighty' });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(output(), /PORT/);
  });

  it('on SIGTERM finishes the stream in flight, then exits 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { child, output } = start({ PORT: String(port), MODEL_DIR: MULTIMODAL_BUNDLE });
    try {
      await waitReady(base, child);
      const response = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          messages: [{ role: 'user', content: 'a long answer' }],
          max_tokens: 120,
          stream: true,
          diffusion: { stream_steps: true, strategy: { name: 'low_confidence' } },
        }),
      });
      assert.equal(response.status, 200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let body = decoder.decode((await reader.read()).value);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        body += decoder.decode(value);
      }
      assert.ok(body.trimEnd().endsWith('data: [DONE]'), 'the stream in flight was completed');
      const steps = body.split('\n\n').filter((e) => e.includes('"diffusion_step"')).length;
      assert.equal(steps, 120, 'every step of the drained request was sent');
      const [code] = await exited;
      assert.equal(code, 0, output());
      await assert.rejects(fetch(`${base}/healthz`), 'nothing listens any more');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
  it('serves the embedded default model by default: the openai client gets right answers about a sample image and a spoken command', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { child, output } = start({ PORT: String(port) });
    const sample = (name: string) =>
      readFileSync(new URL(`../../demo/public/samples/${name}`, import.meta.url)).toString('base64');
    try {
      await waitReady(base, child);
      const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
      const [model] = (await client.models.list()).data;
      assert.equal(model?.id, 'unmask-default', output());
      const image = await client.chat.completions.create({
        model: 'unmask-default',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: `data:image/png;base64,${sample('shapes-3.png')}` } },
              { type: 'text', text: 'what color is the circle' },
            ],
          },
        ],
      });
      assert.equal(image.choices[0]?.message.content, 'red');
      const spoken = await client.chat.completions.create({
        model: 'unmask-default',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'input_audio', input_audio: { data: sample('command-2.wav'), format: 'wav' } },
              { type: 'text', text: 'what is the intent' },
            ],
          },
        ],
      });
      assert.deepEqual(JSON.parse(spoken.choices[0]?.message.content ?? 'null'), {
        action: 'decrease',
        object: 'heat',
        location: 'none',
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

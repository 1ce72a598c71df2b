import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { MULTIMODAL_BUNDLE } from './testing/fixtures.js';

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
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return { child, output: () => output };
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
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
        body: JSON.stringify({ messages: [{ role: 'user', content: 'a long answer' }], max_tokens: 120, stream: true, diffusion: { stream_steps: true, strategy: { name: 'low_confidence' } } }),
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
});

/**
 * deploy/haproxy/haproxy.cfg for real, on loopback: Debian's haproxy in front of three API
 * replicas (`npm start`'s entry, the embedded default model), sixteen connections asking a
 * question about a sample image, one replica killed with -9 and another sent SIGTERM under that
 * load. Specified: zero failed requests, every answer right, and the load moves to the replica
 * left. Without haproxy the spec is skipped, except under CI=true, where it fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoSamplesSchema } from '@unmask/protocol';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, 'deploy/haproxy/haproxy.cfg');
const HAPROXY = process.env.HAPROXY ?? 'haproxy';
const missing =
  spawnSync(HAPROXY, ['-v'], { encoding: 'utf8' }).status === 0
    ? null
    : `${HAPROXY} is not installed (apt-get install haproxy)`;
const CI = process.env.CI === 'true';
const skip = missing && !CI ? missing : false;

const SAMPLES = join(ROOT, 'apps/demo/public/samples');
const samples = demoSamplesSchema.parse(JSON.parse(readFileSync(join(SAMPLES, 'samples.json'), 'utf8')));
const sample = samples.images[1]!;
const QUESTION = Object.keys(sample.answers).find((q) => q.startsWith('what color'))!;
/** The shapes world's ground truth for this image and question. */
const ANSWER = sample.answers[QUESTION]!;
const BODY = JSON.stringify({
  messages: [
    {
      role: 'user',
      content: [
        {
          type: 'image_url',
          image_url: { url: `data:image/png;base64,${readFileSync(join(SAMPLES, sample.file)).toString('base64')}` },
        },
        { type: 'text', text: QUESTION },
      ],
    },
  ],
  max_tokens: 8,
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

class Child {
  log = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => this.keep(c));
    child.stderr?.on('data', (c: Buffer) => this.keep(c));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
  }
  private keep(chunk: Buffer) {
    this.log = (this.log + chunk.toString()).slice(-20_000);
  }
  kill(signal: NodeJS.Signals) {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

async function until(what: string, ok: () => Promise<boolean>, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const replicas: { name: string; port: number; process: Child }[] = [];
let haproxy: Child;
let origin: string;

describe('deploy/haproxy/haproxy.cfg on loopback: three replicas, a load, one killed, one drained', { skip }, () => {
  before(async () => {
    if (missing) throw new Error(`CI=true but ${missing}; .ci/run installs haproxy`);
    for (const name of ['api1', 'api2', 'api3']) {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      replicas.push({ name, port, process: new Child(child) });
    }
    for (const r of replicas)
      await until(
        `${r.name} ready\n${r.process.log}`,
        async () => (await fetch(`http://127.0.0.1:${r.port}/readyz`)).ok,
      );
    const lbPort = await freePort();
    origin = `http://127.0.0.1:${lbPort}`;
    haproxy = new Child(
      spawn(HAPROXY, ['-db', '-f', CONFIG], {
        env: {
          ...process.env,
          UNMASK_LB_BIND: `127.0.0.1:${lbPort}`,
          ...Object.fromEntries(replicas.map((r, i) => [`UNMASK_API${i + 1}`, `127.0.0.1:${r.port}`])),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    await until(`haproxy serving\n${haproxy.log}`, async () => (await fetch(`${origin}/readyz`)).ok, 30_000);
  });

  after(async () => {
    haproxy?.kill('SIGKILL');
    for (const r of replicas) r.process.kill('SIGKILL');
  });

  it('answers every request right while one replica is killed with -9 and another drains on SIGTERM', async () => {
    const started = Date.now();
    const results: { at: number; status: number; replica: string; answer: string }[] = [];
    const failures: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        try {
          const response = await fetch(`${origin}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: BODY,
          });
          const text = await response.text();
          const answer =
            response.status === 200
              ? (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0]!.message.content
              : '';
          results.push({
            at: Date.now() - started,
            status: response.status,
            replica: response.headers.get('x-unmask-replica') ?? '?',
            answer,
          });
          if (response.status !== 200 || answer !== ANSWER)
            failures.push(`${response.status} ${response.headers.get('x-unmask-replica')}: ${text.slice(0, 200)}`);
        } catch (error) {
          failures.push(`network: ${(error as Error).message} ${String((error as Error).cause ?? '')}`);
        }
      }
    };
    const clients = Array.from({ length: 16 }, client);
    const [api1, api2] = replicas;
    const answered = (name: string) => results.filter((r) => r.replica === name).length;
    await until(
      'every replica has answered three requests, three seconds into the load',
      async () => Date.now() - started > 3000 && replicas.every((r) => answered(r.name) >= 3),
      90_000,
    );
    const killedAt = Date.now() - started;
    api1!.process.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    const drainedAt = Date.now() - started;
    api2!.process.kill('SIGTERM');
    const drainExit = await api2!.process.exited;
    await new Promise((r) => setTimeout(r, 3000));
    stop = true;
    await Promise.all(clients);

    assert.deepEqual(
      failures.slice(0, 5),
      [],
      `no failed request among ${results.length} (${failures.length} failed); haproxy's log:\n${haproxy.log.slice(-6000)}`,
    );
    assert.ok(results.length >= 50, `a real load: ${results.length} requests`);
    assert.equal(drainExit, 0, `the replica sent SIGTERM drains and exits 0:\n${api2!.process.log}`);
    const counts = (from: number, to: number) => {
      const byReplica: Record<string, number> = {};
      for (const r of results.filter((x) => x.at > from && x.at <= to))
        byReplica[r.replica] = (byReplica[r.replica] ?? 0) + 1;
      return byReplica;
    };
    const before = counts(0, killedAt);
    assert.ok(before.api1 && before.api2 && before.api3, `three replicas shared the load: ${JSON.stringify(before)}`);
    const last = results.filter((r) => r.at > drainedAt + 10).at(-1);
    assert.ok(last, 'requests went on after the drain');
    const lastSecond = counts((last?.at ?? 0) - 1000, Number.POSITIVE_INFINITY);
    assert.deepEqual(
      Object.keys(lastSecond),
      ['api3'],
      `then the replica left took it all: ${JSON.stringify(lastSecond)}`,
    );
    console.log(
      `haproxy: ${results.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, 0 failed; before the kill ${JSON.stringify(before)}, after ${JSON.stringify(counts(killedAt, Number.POSITIVE_INFINITY))}`,
    );
  });
});

/**
 * For the batch tests and benchmark: request lines over the demo's samples, Debian's redis-server
 * on a free loopback port (no persistence, so a restart loses every job, the hard case), and
 * `unmask` child processes whose stderr is kept.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoSamplesSchema } from '@unmask/protocol';

const SAMPLES = fileURLToPath(new URL('../../../demo/public/samples/', import.meta.url));
const samples = demoSamplesSchema.parse(JSON.parse(readFileSync(join(SAMPLES, 'samples.json'), 'utf8')));

/** `count` non-blank request lines cycling through the samples, with failing lines and blank lines among them. */
export function sampleRequests(count: number): string {
  const pool: object[] = [];
  for (const image of samples.images)
    for (const prompt of Object.keys(image.answers)) pool.push({ prompt, image: join(SAMPLES, image.file) });
  for (const clip of samples.audio)
    for (const prompt of Object.keys(clip.answers))
      pool.push({
        prompt,
        audio: join(SAMPLES, clip.file),
        ...(clip.file.startsWith('question') ? { image: join(SAMPLES, 'shapes-2.png') } : {}),
      });
  const lines: string[] = [];
  for (let i = 0; lines.filter((l) => l.trim()).length < count; i++) {
    if (i % 37 === 5) lines.push('not json');
    else if (i % 41 === 7) lines.push(JSON.stringify({ prompt: 'what is it', image: 'no/such/file.png' }));
    else if (i % 43 === 9) lines.push(JSON.stringify({ prompt: 'what is it', strategy: 'confident', threshold: 2 }));
    else if (i % 29 === 3) lines.push('');
    else {
      const base = pool[i % pool.length] as Record<string, unknown>;
      lines.push(
        JSON.stringify(i % 5 === 0 ? { ...base, strategy: 'low_confidence', steps: 4, max_tokens: 16 } : base),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export const BIN = fileURLToPath(new URL('../../bin/unmask.mjs', import.meta.url));
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** Why the Redis tests cannot run here, or null. */
export function redisMissing(): string | null {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${REDIS_SERVER} is not installed (apt-get install redis-server)`;
}

export function freePort(): Promise<number> {
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

export class RedisServer {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'unmask-redis-'));

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  /** Starts (again) on the same port, empty. */
  async start(): Promise<void> {
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${log}`)), 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${log}`));
      });
    });
    child.stdout?.resume();
    child.removeAllListeners('exit');
  }

  /** Kills it outright (SIGKILL: nothing saved). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

/** An `unmask` command running in the background. */
export class Unmask {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  readonly exited: Promise<number | null>;
  private readonly watchers: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];

  constructor(
    readonly args: string[],
    cwd?: string,
  ) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    this.child.stdout?.on('data', (c: Buffer) => {
      this.stdout += c.toString();
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString();
      this.check();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    const killOnExit = () => this.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.child.once('exit', () => process.removeListener('exit', killOnExit));
  }

  private check(): void {
    for (const w of [...this.watchers]) {
      const match = w.pattern.exec(this.stderr);
      if (match) {
        this.watchers.splice(this.watchers.indexOf(w), 1);
        w.resolve(match);
      }
    }
  }

  /** Resolves when stderr matches `pattern` (already or later); rejects after `ms`. */
  waitFor(pattern: RegExp, ms = 120_000): Promise<RegExpExecArray> {
    const now = pattern.exec(this.stderr);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; stderr:\n${this.stderr}`)), ms);
      timer.unref();
      this.watchers.push({
        pattern,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** The exit code, or a failure naming the command and its stderr when it has not exited within `ms`. */
  exit(ms = 300_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        reject(new Error(`unmask ${this.args.join(' ')} did not exit within ${ms} ms; stderr:\n${this.stderr}`));
      }, ms);
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  /** Jobs this worker logged as started and not as done (with -v). */
  inFlight(): string[] {
    const done = new Set([...this.stderr.matchAll(/job (\S+) done/g)].map((m) => m[1]));
    return [...this.stderr.matchAll(/job (\S+) started/g)].map((m) => m[1]!).filter((id) => !done.has(id));
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

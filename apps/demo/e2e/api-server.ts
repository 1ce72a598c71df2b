/**
 * The real API server for the browser tests, as a child process on 127.0.0.1 with an ephemeral
 * port, serving the built demo. The model is models/default when it exists, else the tiny random
 * multimodal bundle (UNMASK_DEMO_MODEL_DIR overrides both).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEMO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const TINY_BUNDLE = join(REPO_ROOT, 'libs/pipeline/test-fixtures/tiny-multimodal');
export const DEFAULT_BUNDLE = join(REPO_ROOT, 'models/default');

export function chooseModel(): { dir: string; real: boolean } {
  const override = process.env.UNMASK_DEMO_MODEL_DIR;
  if (override) return { dir: override, real: override !== TINY_BUNDLE };
  if (existsSync(join(DEFAULT_BUNDLE, 'manifest.json'))) return { dir: DEFAULT_BUNDLE, real: true };
  return { dir: TINY_BUNDLE, real: false };
}

export interface RunningServer {
  origin: string;
  /** The server's recent log lines, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startApiServer(modelDir: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      MODEL_DIR: modelDir,
      DEMO_DIR: join(DEMO_ROOT, 'dist'),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If the test process ends without stopping the server (a crash), take the server down with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stderr?.on('data', keep);
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the API server did not start within 60 s:\n${lines.join('\n')}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(chunk.toString('utf8'));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the API server exited with ${code}:\n${lines.join('\n')}`));
    });
  });
  // Listening comes before the model is loaded: wait until it is ready.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${origin}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the model did not load:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    log: () => lines.join('\n'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * What the training specs share: running Debian's torch interpreter on tools/train's Python package
 * and the worlds' text generator, and whether this machine can train at all. Without torch a spec
 * is skipped, except under CI=true, where it fails: CI must not pass without training.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TRAIN_DIR = fileURLToPath(new URL('./', import.meta.url));
export const PYTHON = process.env.PYTHON || '/usr/bin/python3';
/** The environment the stages run under: one thread, as the build runs them. */
export const PYTHON_ENV = { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };

/** Why PYTHON cannot train here, or undefined when it can. */
function torchProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} cannot import torch and numpy (${probe.stderr.trim().split('\n').at(-1)})`;
  return undefined;
}

export const missingTorch = torchProblem();
const CI = process.env.CI === 'true';

/** node:test's `skip` for a spec that trains: a reason off CI without torch, else false. */
export const trainingSkip = (what: string): string | false =>
  missingTorch && !CI ? `${missingTorch}; install python3-torch (Debian) to run ${what}` : false;

/** Throws under CI=true when torch is missing (call first in a training spec's `before`). */
export function requireTorchOnCi(what: string): void {
  if (missingTorch) throw new Error(`CI=true but ${what} cannot run: ${missingTorch}. .ci/run installs python3-torch.`);
}

export function run(command: string, args: string[], options: SpawnSyncOptions & { what: string }): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, ...options });
  if (result.error) throw new Error(`${options.what}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `${options.what} exited with ${result.status ?? result.signal}:\n${String(result.stderr).slice(-3000)}`,
    );
  }
  return String(result.stdout ?? '');
}

export const pythonArgs = (args: string[], what: string) =>
  run(PYTHON, args, { what, cwd: TRAIN_DIR, env: PYTHON_ENV });
/** Runs `python -m module args`; returns its stdout. */
export const python = (module: string, args: string[], what: string) => pythonArgs(['-m', module, ...args], what);
/** Runs `code` (it prints one JSON value) with the training package importable; returns the value. */
export const pythonCheck = (code: string, args: string[], what: string): unknown =>
  JSON.parse(pythonArgs(['-c', code, ...args], what));

/** `count` text-form examples of tools/worlds (seed `seed`, training wordings) into `file`. */
export function generateText(seed: number, count: number, file: string): void {
  const fd = openSync(file, 'w');
  try {
    run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'tools/worlds/src/generate-text.ts'),
        '--seed',
        String(seed),
        '--count',
        String(count),
      ],
      { what: 'tools/worlds generate-text', cwd: ROOT, stdio: ['ignore', fd, 'pipe'] },
    );
  } finally {
    closeSync(fd);
  }
}

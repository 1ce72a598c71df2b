/**
 * Installs the benchmark's llama.cpp peer on demand: node-llama-cpp and its prebuilt CPU
 * binaries for this platform, from the npm registry, into a folder of their own (by default
 * tmp/bench-peers/, which git ignores), never into the project's dependencies. Nothing is built
 * and nothing is downloaded beyond the two npm packages (install scripts are skipped; the
 * engine loads the prebuilt binaries with `build: 'never'`).
 *
 * The version is pinned: node-llama-cpp 3.22.1 runs on Node 20 and bundles a llama.cpp with
 * the `llada` and `dream` architectures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_LLAMA_CPP_VERSION = '3.22.1';

/** The prebuilt-binaries package for this platform, or why there is none. */
export function prebuiltPackage(platform = process.platform, arch = process.arch): string {
  if (platform === 'linux' && (arch === 'x64' || arch === 'arm64')) return `@node-llama-cpp/linux-${arch}`;
  if (platform === 'darwin' && arch === 'arm64') return '@node-llama-cpp/mac-arm64-metal';
  if (platform === 'darwin' && arch === 'x64') return '@node-llama-cpp/mac-x64';
  if (platform === 'win32' && arch === 'x64') return '@node-llama-cpp/win-x64';
  throw new Error(`no prebuilt node-llama-cpp binaries for ${platform}-${arch}`);
}

/** Makes sure node-llama-cpp is installed in `dir`; returns `dir`. */
export function ensureLlamaPeer(dir: string, log: (line: string) => void = () => {}): string {
  const marker = join(dir, 'node_modules', 'node-llama-cpp', 'package.json');
  const binaries = join(dir, 'node_modules', ...prebuiltPackage().split('/'), 'package.json');
  if (existsSync(marker) && existsSync(binaries)) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'unmask-bench-llama-peer', private: true, type: 'module' }, null, 1),
  );
  log(`installing node-llama-cpp ${NODE_LLAMA_CPP_VERSION} into ${dir} (npm registry, prebuilt CPU binaries)`);
  const result = spawnSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--omit=optional',
      '--ignore-scripts',
      `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`,
      `${prebuiltPackage()}@${NODE_LLAMA_CPP_VERSION}`,
    ],
    { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (result.status !== 0 || !existsSync(marker))
    throw new Error(`npm install of node-llama-cpp failed: ${(result.stderr || result.stdout).trim().slice(-400)}`);
  return dir;
}

/**
 * Builds the demo into dist/ unless dist/ already holds a build of the current sources: `npm start`
 * runs this first, so a fresh clone serves the demo and later starts skip the build (a hash of
 * the demo's sources, libs/protocol and the Vite version, kept in dist/.build-hash).
 *
 *   node --import tsx apps/demo/scripts/build-if-stale.ts     # prints what it did; exit 1 if the build failed
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPO_ROOT = join(DEMO_ROOT, '..', '..');
export const DIST = join(DEMO_ROOT, 'dist');
const STAMP = join(DIST, '.build-hash');

/** What the built page depends on: the demo's sources (not its tests), the protocol types, the config. */
const INPUTS = [join(DEMO_ROOT, 'index.html'), join(DEMO_ROOT, 'vite.config.ts'), join(DEMO_ROOT, 'package.json')];
const INPUT_DIRS = [join(DEMO_ROOT, 'src'), join(DEMO_ROOT, 'public'), join(REPO_ROOT, 'libs/protocol/src')];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.test.ts') ? [] : [path];
  });
}

function viteBin(): { bin: string; version: string } {
  const pkg = createRequire(join(DEMO_ROOT, 'package.json')).resolve('vite/package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return { bin: join(dirname(pkg), 'bin/vite.js'), version };
}

/** The hash of everything the build reads. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  hash.update(`vite ${viteBin().version}\n`);
  for (const file of [...INPUTS, ...INPUT_DIRS.flatMap(filesUnder)].sort()) {
    hash.update(`${relative(REPO_ROOT, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

export type BuildOutcome = { built: false; reason: 'fresh' } | { built: true; reason: string; ms: number };

/** Builds dist/ when it is missing or was built from other sources; throws with Vite's output if the build fails. */
export function buildIfStale(): BuildOutcome {
  const hash = sourceHash();
  const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : null;
  if (stamp === hash && existsSync(join(DIST, 'index.html'))) return { built: false, reason: 'fresh' };
  const reason = !existsSync(DIST) ? 'not built yet' : stamp === null ? 'no build hash' : 'sources changed';
  const started = performance.now();
  const build = spawnSync(process.execPath, [viteBin().bin, 'build', '--logLevel', 'warn'], {
    cwd: DEMO_ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`vite build failed (exit ${build.status}):\n${build.stdout}${build.stderr}`);
  writeFileSync(STAMP, `${hash}\n`);
  return { built: true, reason, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const outcome = buildIfStale();
    if (outcome.built) process.stderr.write(`demo: built apps/demo/dist in ${outcome.ms} ms (${outcome.reason})\n`);
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

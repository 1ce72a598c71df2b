#!/usr/bin/env node
// Runs every `*.test.ts` file under the current project with node:test (through tsx),
// printing the spec report and writing a pass/fail count for `test-all.mjs` to sum up.
// Node 20's `--test` does not discover .ts files by itself, hence this list.
import { spawnSync } from 'node:child_process';
import { readdirSync, mkdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const project = process.cwd();
const filter = process.argv[2];

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? find(path) : entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = find(project)
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.log(`no test files under ${relative(root, project) || '.'}`);
  process.exit(0);
}
const resultsDir = join(root, 'tmp', 'test-results');
mkdirSync(resultsDir, { recursive: true });
const name = relative(root, project).replaceAll('/', '-') || basename(project);
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'tools/scripts/count-reporter.mjs')}`,
    `--test-reporter-destination=${join(resultsDir, `${name}.json`)}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);

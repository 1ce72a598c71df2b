#!/usr/bin/env node
// The README's test command: type-checks and tests every project through Nx, then prints
// one summary line `N passed, N failed` over all projects (CI reads that line).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const resultsDir = join(root, 'tmp', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });

// Formatting, lint and the import graph first (seconds): a failure counts as one failed test and the run goes on.
const lint = spawnSync(process.execPath, [join(root, 'tools/scripts/lint.mjs')], { cwd: root, stdio: 'inherit' });
// The import graph's rules (no circles, no upward arrows, ...): a second of reading imports.
const imports = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tools/scripts/import-graph.ts')], {
  cwd: root,
  stdio: 'inherit',
});

const nx = join(root, 'node_modules', '.bin', 'nx');
const run = spawnSync(
  nx,
  ['run-many', '-t', 'typecheck', 'test', '--parallel=1', '--outputStyle=stream', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(resultsDir)) {
  for (const file of readdirSync(resultsDir)) {
    const text = readFileSync(join(resultsDir, file), 'utf8').trim();
    if (!text) continue;
    const counts = JSON.parse(text);
    passed += counts.passed;
    failed += counts.failed;
    skipped += counts.skipped;
  }
}
if (lint.status !== 0) failed++;
if (imports.status !== 0) failed++;
const status = (run.status ?? 1) || (lint.status ?? 1) || (imports.status ?? 1);
if (status !== 0 && failed === 0) failed = 1; // a type error or a crashed runner counts as a failure
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status);

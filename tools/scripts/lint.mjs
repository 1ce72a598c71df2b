#!/usr/bin/env node
// Formatting and lint for the whole repository, run by `npm test` and CI.
// TypeScript/JavaScript/JSON/CSS: Biome (one fast native tool that formats and lints, so there is
// no Prettier + ESLint plugin set to keep in step). Python: Debian's black and flake8.
// `node tools/scripts/lint.mjs --fix` rewrites files instead of checking them.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const fix = process.argv.includes('--fix');
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const python = spawnSync('git', ['ls-files', '*.py'], { cwd: root, encoding: 'utf8' })
  .stdout.split('\n')
  .filter(Boolean);
const steps = fix
  ? [
      ['npx', ['biome', 'check', '--write', '.']],
      ['black', ['-q', ...python]],
    ]
  : [
      ['npx', ['biome', 'ci', '--colors=off', '.']],
      ['black', ['--check', '-q', ...python]],
      ['flake8', python],
    ];
let failed = 0;
for (const [cmd, args] of steps) {
  const status = run(cmd, args);
  if (status !== 0) {
    console.error(`lint: ${cmd} ${args[0] ?? ''} failed (fix with: node tools/scripts/lint.mjs --fix)`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);

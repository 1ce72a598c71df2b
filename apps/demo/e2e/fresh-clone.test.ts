/**
 * First contact, as the README tells a new user: a fresh clone, the README's install command
 * (`ONNXRUNTIME_NODE_INSTALL=skip npm ci`, read from its "Two commands" block), `npm start`, the
 * page at `/` in Chromium, a question about a sample image, and the right answer (the shapes
 * world's ground truth in samples.json). Also: `npm ci` prints no engine warning, and a second
 * start does not build the demo again. The only departures from the README: PORT is a free port
 * rather than 8080, and the clone is of this checkout's HEAD (what CI tests), not of a remote.
 *
 * It installs a whole node_modules (a minute with npm's cache warm), so it runs under CI=true or
 * with UNMASK_FRESH_CLONE=1 and is skipped otherwise.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { demoSamplesSchema } from '@unmask/protocol';
import { REPO_ROOT } from './api-server.js';

const RUN = process.env.CI === 'true' || process.env.UNMASK_FRESH_CLONE === '1';
const skip = RUN ? false : 'installs a fresh clone (about a minute): runs under CI=true or UNMASK_FRESH_CLONE=1';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The README's "Two commands" block: the install line and the start line, as a user would type them. */
function readmeCommands(): { install: string; start: string } {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /## Two commands\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const lines = block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
  const install = lines.find((l) => /\bnpm ci\b/.test(l));
  const start = lines.find((l) => /^npm start\b/.test(l));
  assert.ok(install && start, `the README's "Two commands" block names npm ci and npm start:\n${block}`);
  return { install, start };
}

/** A new user's shell: no npm_* or Nx variables from the `npm test` running this. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM', 'CI'];
  return {
    ...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
    ...extra,
  };
}

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

let clone: string;
let server: ChildProcess | undefined;
let serverLog = '';
let browser: Browser | undefined;

describe('a fresh clone, the README’s two commands, and the demo answering in Chromium', { skip }, () => {
  before(() => {
    clone = join(mkdtempSync(join(tmpdir(), 'unmask-clone-')), 'unmask');
    const cloned = spawnSync('git', ['clone', '--quiet', REPO_ROOT, clone], { encoding: 'utf8' });
    assert.equal(cloned.status, 0, `git clone: ${cloned.stderr}`);
  });

  after(async () => {
    await browser?.close();
    // npm start runs sh and node in their own process group: end that group.
    if (server?.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {}
    }
    if (clone) rmSync(join(clone, '..'), { recursive: true, force: true });
  });

  it('installs with no engine warning, starts, builds the demo once, and the page answers a sample question right', async () => {
    const { install, start } = readmeCommands();
    const installed = spawnSync('sh', ['-c', install], {
      cwd: clone,
      env: userEnv(),
      encoding: 'utf8',
      timeout: 900_000,
    });
    const installLog = `${installed.stdout}\n${installed.stderr}`;
    assert.equal(installed.status, 0, `${install}:\n${installLog.slice(-4000)}`);
    assert.doesNotMatch(installLog, /EBADENGINE|Unsupported engine/, 'npm ci prints no engine warning');

    const port = await freePort();
    server = spawn('sh', ['-c', start], {
      cwd: clone,
      env: userEnv({ PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (c: Buffer) => {
      serverLog = (serverLog + c.toString()).slice(-20_000);
    };
    server.stdout?.on('data', keep);
    server.stderr?.on('data', keep);
    const origin = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 180_000;
    while (
      !(await fetch(`${origin}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      assert.ok(server.exitCode === null, `npm start exited:\n${serverLog}`);
      assert.ok(Date.now() < deadline, `npm start was not ready within 180 s:\n${serverLog}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(serverLog, /demo: built apps\/demo\/dist in \d+ ms \(not built yet\)/);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    const samples = demoSamplesSchema.parse(
      JSON.parse(readFileSync(join(clone, 'apps/demo/public/samples/samples.json'), 'utf8')),
    );
    const sample = samples.images[1]!;
    const question = Object.keys(sample.answers).find((q) => q.startsWith('what color'))!;
    await page.getByRole('button', { name: /^Sample image 2/ }).click();
    await page.getByRole('button', { name: question, exact: true }).click();
    await page.getByRole('button', { name: 'Run' }).click();
    await page.waitForFunction(
      () => document.querySelector('#runs .card')?.getAttribute('data-status') === 'done',
      null,
      {
        timeout: 120_000,
      },
    );
    const answer = (await page.locator('#runs .card .answer').textContent())?.trim();
    assert.equal(answer, sample.answers[question], `the answer to “${question}” about ${sample.file}`);
    assert.deepEqual(errors, []);

    // A second start finds the demo built from these sources and does not build it again.
    const again = spawnSync(process.execPath, ['--import', 'tsx', 'apps/demo/scripts/build-if-stale.ts'], {
      cwd: clone,
      env: userEnv(),
      encoding: 'utf8',
    });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stderr, '', 'nothing to build');
  });
});

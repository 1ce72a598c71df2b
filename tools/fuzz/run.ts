/**
 * The long fuzz run: every target in a `*.fuzz.ts` module of libs/ and apps/ (or those named),
 * each in its own child process for `--minutes`, watched from outside so that a hang (no
 * progress for `--stall-seconds`, default 300, while making or judging one input) or a crash of
 * the process itself is caught too. Prints one JSON line per target (executions, time, failures)
 * and a summary table; a finding's whole counterexample is written to
 * `tmp/fuzz/<target>-<seed>.counterexample.txt`.
 *
 *   nice -n 10 node --import tsx tools/fuzz/run.ts --minutes 30 [--target audio.readWav] [--seed N] [--parallel 2]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type FuzzRunReport, type FuzzTarget, shortCounterexample } from '@unmask/core/fuzz';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function fuzzModules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? fuzzModules(path) : entry.name.endsWith('.fuzz.ts') ? [path] : [];
  });
}

async function targetsOf(file: string): Promise<FuzzTarget<unknown>[]> {
  const module = (await import(pathToFileURL(file).href)) as { fuzzTargets?: FuzzTarget<unknown>[] };
  return module.fuzzTargets ?? [];
}

async function child(file: string, name: string, ms: number, seed: number | undefined): Promise<void> {
  const { runFuzz } = await import('@unmask/core/fuzz');
  const target = (await targetsOf(file)).find((t) => t.name === name);
  if (!target) throw new Error(`no target ${name} in ${file}`);
  // Progress is written from inside the run (synchronously): an input that hangs stops it,
  // which the parent sees.
  let last = 0;
  const onProgress = (executions: number) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    writeSync(1, `progress ${executions}\n`);
  };
  // The seed is printed first, so that a run the parent has to kill can be replayed.
  const chosen = seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  writeSync(1, `seed ${chosen}\n`);
  const report = await runFuzz(target, { timeLimitMs: ms, onProgress, seed: chosen });
  // The whole counterexample goes to a file (it may be megabytes); the report line carries its start.
  let line: FuzzRunReport & { counterexampleFile?: string } = report;
  if (report.counterexample !== undefined) {
    const dir = join(root, 'tmp', 'fuzz');
    mkdirSync(dir, { recursive: true });
    const counterexampleFile = join(dir, `${name}-${chosen}.counterexample.txt`);
    writeFileSync(counterexampleFile, `${report.failure}\n${report.counterexample}\n`);
    line = {
      ...report,
      counterexample: shortCounterexample(report),
      counterexampleFile: relative(root, counterexampleFile),
    };
  }
  process.stdout.write(`report ${JSON.stringify(line)}\n`);
  // Targets may hold servers or pools open.
  process.exit(0);
}

interface Outcome extends Partial<FuzzRunReport> {
  readonly target: string;
  readonly file: string;
  readonly status: 'clean' | 'finding' | 'hang' | 'crash';
  readonly detail?: string;
}

function supervise(file: string, name: string, ms: number, stallMs: number, seed?: number): Promise<Outcome> {
  const args = ['--import', 'tsx', '--expose-gc', '--max-old-space-size=2048', fileURLToPath(import.meta.url)];
  args.push(
    '--child',
    file,
    '--target',
    name,
    '--ms',
    String(ms),
    ...(seed !== undefined ? ['--seed', String(seed)] : []),
  );
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let last = Date.now();
  let report: FuzzRunReport | undefined;
  let seedUsed: number | undefined;
  let executions = 0;
  let stderr = '';
  let buffered = '';
  proc.stdout.on('data', (data: Buffer) => {
    last = Date.now();
    buffered += data.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('report ')) report = JSON.parse(line.slice(7)) as FuzzRunReport;
      if (line.startsWith('seed ')) seedUsed = Number(line.slice(5));
      if (line.startsWith('progress ')) executions = Number(line.slice(9));
    }
  });
  proc.stderr.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  let hung = false;
  const watchdog = setInterval(() => {
    if (Date.now() - last > stallMs) {
      hung = true;
      proc.kill('SIGKILL');
    }
  }, 1000);
  return new Promise((resolvePromise) => {
    proc.on('exit', (code, signal) => {
      clearInterval(watchdog);
      const where = relative(root, file);
      if (hung)
        resolvePromise({
          target: name,
          file: where,
          status: 'hang',
          executions,
          ...(seedUsed !== undefined ? { seed: seedUsed } : {}),
          detail: `no progress for ${stallMs / 1000} s after about ${executions} inputs (replay with --seed)`,
        });
      else if (report) resolvePromise({ ...report, file: where, status: report.failure ? 'finding' : 'clean' });
      else
        resolvePromise({
          target: name,
          file: where,
          status: 'crash',
          detail: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
        });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '1' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
      parallel: { type: 'string', default: '1' },
      'stall-seconds': { type: 'string', default: '300' },
      list: { type: 'boolean', default: false },
      child: { type: 'string' },
      ms: { type: 'string' },
    },
  });
  const seed = values.seed !== undefined ? Number(values.seed) : undefined;
  if (values.child) return child(values.child, values.target?.[0] ?? '', Number(values.ms), seed);

  const all: { file: string; name: string }[] = [];
  for (const file of [...fuzzModules(join(root, 'libs')), ...fuzzModules(join(root, 'apps'))].sort())
    for (const target of await targetsOf(file)) all.push({ file, name: target.name });
  const chosen = values.target ? all.filter((t) => values.target?.includes(t.name)) : all;
  if (values.list || chosen.length === 0) {
    for (const t of all) console.log(`${t.name}\t${relative(root, t.file)}`);
    if (chosen.length === 0) process.exitCode = 1;
    return;
  }
  const ms = Number(values.minutes) * 60_000;
  const stallMs = Number(values['stall-seconds']) * 1000;
  const queue = [...chosen];
  const outcomes: Outcome[] = [];
  const lanes = Array.from({ length: Math.max(1, Number(values.parallel)) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const outcome = await supervise(next.file, next.name, ms, stallMs, seed);
      console.log(JSON.stringify(outcome));
      outcomes.push(outcome);
    }
  });
  await Promise.all(lanes);
  console.log('\n| target | executions | seconds | status |\n| --- | --- | --- | --- |');
  for (const o of outcomes)
    console.log(
      `| ${o.target} | ${o.executions ?? '?'} | ${o.ms !== undefined ? Math.round(o.ms / 1000) : '?'} | ${o.status} |`,
    );
  if (outcomes.some((o) => o.status !== 'clean')) process.exitCode = 1;
}

await main();

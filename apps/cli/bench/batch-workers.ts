/**
 * Throughput of `unmask batch` with 1, 2, ... `unmask worker`s on this machine (docs/deploy.md),
 * beside `unmask ask --jsonl` on the same file in one process. Each configuration runs in turn,
 * interleaved over rounds, on a fresh Redis. It prints numbers; it asserts nothing.
 *
 *   node --import tsx apps/cli/bench/batch-workers.ts
 *   BENCH_LINES=300 BENCH_WORKERS=1,2,3,4 BENCH_CONCURRENCY=4 BENCH_ROUNDS=2 node --import tsx apps/cli/bench/batch-workers.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer, sampleRequests, Unmask } from '../src/batch/testing.js';

const lines = Number(process.env.BENCH_LINES ?? 300);
const workerCounts = (process.env.BENCH_WORKERS ?? '1,2,3,4').split(',').map(Number);
const concurrency = process.env.BENCH_CONCURRENCY ?? '4';
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

const dir = mkdtempSync(join(tmpdir(), 'unmask-batch-bench-'));
const input = join(dir, 'requests.jsonl');
writeFileSync(input, sampleRequests(lines));

const oneLine = join(dir, 'one.jsonl');
writeFileSync(oneLine, `${sampleRequests(1).trim()}\n`);

/** `ask --jsonl` on the file, less its start-up and model load (timed on a one-line file). */
async function askJsonl(): Promise<number> {
  const timed = async (file: string) => {
    const started = performance.now();
    await new Unmask(['ask', '--jsonl', file]).exit(1_800_000);
    return (performance.now() - started) / 1000;
  };
  const startup = await timed(oneLine);
  return (await timed(input)) - startup;
}

async function batch(workers: number, round: number): Promise<{ seconds: number; rate: number }> {
  const redis = await RedisServer.start();
  const running = Array.from(
    { length: workers },
    () => new Unmask(['worker', '--redis', redis.url, '--concurrency', concurrency]),
  );
  await Promise.all(running.map((w) => w.waitFor(/answering queue/, 300_000)));
  const run = new Unmask([
    'batch',
    '--redis',
    redis.url,
    '--jsonl',
    input,
    '--out',
    join(dir, `out-${workers}-${round}.jsonl`),
    '--progress',
    'off',
  ]);
  await run.exit(1_800_000);
  const m = /answered in this run in ([\d.]+) s \(([\d.]+) lines\/s\)/.exec(run.stderr);
  for (const w of running) w.signal('SIGKILL');
  await redis.kill();
  if (!m) throw new Error(`no summary:\n${run.stderr}`);
  return { seconds: Number(m[1]), rate: Number(m[2]) };
}

console.log(
  `${lines} lines (the demo's samples), workers with --concurrency ${concurrency}, ${rounds} rounds interleaved`,
);
for (let round = 1; round <= rounds; round++) {
  const load = loadavg()[0]!.toFixed(1);
  const whole = await askJsonl();
  console.log(
    JSON.stringify({
      round,
      config: 'ask --jsonl (one process; start-up and model load subtracted)',
      seconds: whole,
      rate: lines / whole,
      load,
    }),
  );
  for (const n of workerCounts) {
    const startLoad = loadavg()[0]!.toFixed(1);
    const r = await batch(n, round);
    console.log(JSON.stringify({ round, config: `batch, ${n} worker(s)`, ...r, load: startLoad }));
  }
}

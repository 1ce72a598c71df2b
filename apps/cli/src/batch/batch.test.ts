/**
 * `unmask batch` and `unmask worker` for real: Debian's redis-server on a free loopback port,
 * several worker processes on the embedded default model, and the line-for-line comparison
 * with `unmask ask --jsonl` on the same file. Specified: nothing lost and nothing doubled when
 * a worker is killed with -9 mid-job, when Redis restarts empty mid-batch, when Redis stays
 * away past --redis-timeout (the printed command resumes), and a worker drains on SIGTERM.
 * Without redis-server the specs are skipped, except under CI=true, where they fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { checkpointPathOf } from './batch-output.js';
import { connect, DEFAULT_QUEUE } from './queue-shared.js';
import { RedisServer, redisMissing, sampleRequests, Unmask } from './testing.js';

const missing = redisMissing();
const CI = process.env.CI === 'true';
const skip = missing && !CI ? missing : false;
/** Short enough that a killed worker's job comes back within seconds; long enough for a loaded machine. */
const LOCK_MS = '4000';

/** Each line as `ask --jsonl` printed it, with `ms` (a timing) replaced by its type. */
function comparable(text: string): unknown[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const value = JSON.parse(line) as Record<string, unknown>;
      return 'ms' in value ? { ...value, ms: typeof value.ms } : value;
    });
}

async function jobsLeft(url: string): Promise<number> {
  const connection = connect(url);
  const queue = new Queue(DEFAULT_QUEUE, { connection });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'unmask-batch-'));
const BIG = join(dir, 'requests.jsonl');
const SMALL = join(dir, 'small.jsonl');
let redis: RedisServer;
const expected = new Map<string, unknown[]>();
const running: Unmask[] = [];

function start(args: string[]): Unmask {
  const child = new Unmask(args);
  running.push(child);
  return child;
}
const worker = (extra: string[] = []) =>
  start(['worker', '--redis', redis.url, '--concurrency', '4', '--lock-duration', LOCK_MS, '-v', ...extra]);
const ready = (w: Unmask) => w.waitFor(/answering queue/, 180_000);
const batch = (input: string, out: string, extra: string[] = []) =>
  start(['batch', '--redis', redis.url, '--jsonl', input, '--out', out, '--progress', 'lines', ...extra]);

describe('unmask batch over Redis with unmask workers (the embedded default model)', { skip }, () => {
  before(async () => {
    if (missing) throw new Error(`CI=true but ${missing}; .ci/run installs redis-server`);
    writeFileSync(BIG, sampleRequests(300));
    writeFileSync(SMALL, sampleRequests(60));
    redis = await RedisServer.start();
    // The reference: `unmask ask --jsonl` on the same files, one process, in order.
    for (const file of [BIG, SMALL]) {
      const ask = new Unmask(['ask', '--jsonl', file]);
      assert.equal(await ask.exit(), 1, `ask --jsonl exits 1 (some lines fail): ${ask.stderr}`);
      expected.set(file, comparable(ask.stdout));
    }
    assert.equal(expected.get(BIG)?.length, 300);
  });

  after(async () => {
    for (const child of running) child.signal('SIGKILL');
    await redis?.kill();
  });

  it('answers 300 lines on three workers, one killed with -9 mid-job: OUT is ask --jsonl’s output, line for line', async () => {
    const workers = [worker(), worker(), worker()];
    await Promise.all(workers.map(ready));
    const out = join(dir, 'big.out');
    const run = batch(BIG, out);
    // The first worker seen holding a job is killed while that job is in flight.
    let victim: Unmask | undefined;
    while (!victim) {
      victim = workers.find((w) => w.inFlight().length > 0);
      if (!victim) await new Promise((r) => setTimeout(r, 5));
    }
    const held = victim.inFlight();
    victim.signal('SIGKILL');
    assert.equal(await run.exit(), 1, `exit 1: some lines are errors, as with ask\n${run.stderr}`);
    const survivors = workers.filter((w) => w !== victim);
    assert.ok(
      held.some((id) => survivors.some((w) => w.stderr.includes(`job ${id} started`))),
      `another worker took over one of ${held.join(', ')}`,
    );
    assert.deepEqual(comparable(readFileSync(out, 'utf8')), expected.get(BIG));
    assert.match(run.stderr, /300 lines in .*big\.out \(\d+ failed\)/);
    assert.match(run.stderr, /\d+\/300 .*lines\/s/, 'a progress line with the rate');
    assert.ok(!existsSync(checkpointPathOf(out)), 'the checkpoint is removed when the batch is complete');
    assert.equal(await jobsLeft(redis.url), 0, 'every job is removed from Redis once its line is written');
    for (const w of survivors) w.signal('SIGKILL');
  });

  it('survives Redis restarting empty mid-batch: lost jobs are queued again, OUT is still complete', async () => {
    const workers = [worker(), worker()];
    await Promise.all(workers.map(ready));
    const out = join(dir, 'restart.out');
    const run = batch(SMALL, out);
    await Promise.race(workers.map((w) => w.waitFor(/done in/)));
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    assert.equal(await run.exit(), 1, run.stderr);
    assert.deepEqual(comparable(readFileSync(out, 'utf8')), expected.get(SMALL));
    assert.match(run.stderr, /is back after/);
    for (const w of workers) w.signal('SIGKILL');
  });

  it('stops with the command that resumes when Redis stays away past --redis-timeout; that command finishes the batch', async () => {
    const workers = [worker()];
    await ready(workers[0]!);
    const out = join(dir, 'outage.out');
    // The 300-line file: on an idle machine the 60-line one can finish within the first
    // second, before any checkpoint exists, and Redis would then go after the batch is done.
    const first = batch(BIG, out, ['--redis-timeout', '2']);
    let finished = false;
    void first.exited.then(() => {
      finished = true;
    });
    // Redis goes once some lines are on disk (checkpointed every second).
    const checkpointed = () => {
      try {
        return (JSON.parse(readFileSync(checkpointPathOf(out), 'utf8')) as { written: number }).written;
      } catch {
        return 0;
      }
    };
    while (checkpointed() === 0) {
      assert.ok(!finished, `the batch finished before its first checkpoint; stderr:\n${first.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await redis.kill();
    assert.equal(await first.exit(), 3, first.stderr);
    const resume = /resume with:\n {2}(unmask batch .*)\n/.exec(first.stderr);
    assert.ok(resume, `the message names the resuming command:\n${first.stderr}`);
    assert.match(first.stderr, /has been unreachable for more than 2 s/);
    // A worker told to stop while Redis is away does not wait for it forever: it exits, saying
    // so if it held jobs (they go back to the queue once Redis is back and their lock expires).
    workers[0]!.signal('SIGTERM');
    const code = await workers[0]!.exit(60_000);
    assert.ok(
      code === 0 ||
        (code === 1 && /Redis has been unreachable for 10 s: exiting without finishing/.test(workers[0]!.stderr)),
      workers[0]!.stderr,
    );
    const checkpoint = JSON.parse(readFileSync(checkpointPathOf(out), 'utf8')) as { written: number; line: number };
    assert.ok(checkpoint.written > 0);
    await redis.start();
    workers.push(worker());
    const args = resume[1]!.split(' ').slice(1);
    assert.deepEqual(args.slice(0, 2), ['batch', '--redis']);
    const second = start(args);
    assert.equal(await second.exit(), 1, second.stderr);
    assert.match(second.stderr, new RegExp(`resuming batch \\w+: ${checkpoint.written} of 300 lines already`));
    const again = [...workers[1]!.stderr.matchAll(/job \w+-(\d+) started/g)].map((m) => Number(m[1]));
    assert.ok(again.length > 0 && again.every((line) => line > checkpoint.line), 'no line on disk is answered again');
    assert.deepEqual(comparable(readFileSync(out, 'utf8')), expected.get(BIG));
    for (const w of workers) w.signal('SIGKILL');
  });

  it('a worker sent SIGTERM finishes the jobs it holds, takes no more, and exits 0; another finishes the batch', async () => {
    const draining = worker(['--concurrency', '2']);
    await ready(draining);
    const out = join(dir, 'drain.out');
    const run = batch(SMALL, out);
    await draining.waitFor(/job (\S+) started/);
    draining.signal('SIGTERM');
    assert.equal(await draining.exit(), 0, draining.stderr);
    assert.match(draining.stderr, /SIGTERM: draining/);
    assert.deepEqual(draining.inFlight(), [], `every job it started, it finished:\n${draining.stderr}`);
    const answered = [...draining.stderr.matchAll(/job (\S+) done/g)].map((m) => m[1]!);
    assert.ok(answered.length > 0);
    const rest = worker();
    assert.equal(await run.exit(), 1, run.stderr);
    for (const id of answered) assert.ok(!rest.stderr.includes(`job ${id} started`), `${id} was not answered twice`);
    assert.deepEqual(comparable(readFileSync(out, 'utf8')), expected.get(SMALL));
    rest.signal('SIGKILL');
  });
});

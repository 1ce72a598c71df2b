/**
 * `unmask batch --redis URL --jsonl IN --out OUT [ask's decoding flags]`: one BullMQ job per line
 * of IN, answered by `unmask worker`s anywhere, written to OUT in input order, each line exactly
 * what `unmask ask --jsonl IN` prints for it.
 *
 * At least once, nothing lost, nothing doubled: job ids are `{batch}-{line}` (the batch id hashes
 * IN and the flags), so adding a line again is a no-op while its job exists; OUT is appended in
 * order and checkpointed (batch-output.ts), so a re-run of the same command resumes after the
 * last line on disk; a job is removed from Redis only once its line is checkpointed. Results come
 * from the queue's event stream, and a sweep every few seconds asks Redis for the state of every
 * line still open, which catches missed events and re-queues jobs Redis lost (a restart without
 * persistence). A Redis outage longer than --redis-timeout stops the batch with the command that
 * resumes it (redis-outage.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UnmaskError } from '@unmask/core';
import { Queue, QueueEvents } from 'bullmq';
import type { Io } from '../ask-command.js';
import { BATCH_HELP } from '../help.js';
import { parseBatchArgs, resumeCommandOf } from './batch-args.js';
import { failureOf, jobOfLine, lineOfJob, resultOf } from './batch-jobs.js';
import { BatchOutput, checkpointPathOf } from './batch-output.js';
import { InOrderLines, type OpenLine } from './in-order-lines.js';
import { BatchProgress } from './progress.js';
import { connect, defaultsToJson, jobIdOf, redactedUrl, type JobData, type JobResult } from './queue-shared.js';
import { OutageWatch, RedisLost, waitReady } from './redis-outage.js';

/** Jobs added to Redis in one round trip. */
const ADD_CHUNK = 64;
/** How often OUT is checkpointed and written lines' jobs removed. */
const CHECKPOINT_MS = 1000;
/** How often every open line's state is read from Redis. */
const SWEEP_MS = 3000;

/** IN's hash and its number of non-blank lines (one pass, streaming). */
async function scanInput(path: string): Promise<{ hash: string; lines: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  const stream = createReadStream(path);
  try {
    for await (const raw of createInterface({ input: stream, crlfDelay: Infinity })) {
      hash.update(raw).update('\n');
      if (raw.trim() !== '') lines += 1;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnmaskError(
      'invalid_parameter',
      `--jsonl ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      '--jsonl',
    );
  }
  return { hash: hash.digest('hex'), lines };
}

export async function batchCommand(argv: string[], io: Io): Promise<number> {
  const inv = parseBatchArgs(argv);
  if (inv === 'help') {
    io.stdout.write(BATCH_HELP);
    return 0;
  }
  const log = (message: string) => io.stderr.write(`unmask batch: ${message}\n`);
  const defaults = defaultsToJson(inv.defaults);
  const scanned = await scanInput(inv.input);
  const batch =
    inv.batchId ??
    `b${createHash('sha256').update(scanned.hash).update(JSON.stringify(defaults)).digest('hex').slice(0, 16)}`;
  const where = `Redis ${redactedUrl(inv.redis)}`;

  const connection = connect(inv.redis);
  const watch = new OutageWatch(connection, inv.redisTimeoutMs);
  try {
    await waitReady(connection, inv.redisTimeoutMs);
  } catch (error) {
    connection.disconnect();
    log(`cannot reach ${where} within ${inv.redisTimeoutMs / 1000} s: ${(error as Error).message}`);
    return 1;
  }

  const output = BatchOutput.open(inv.out, batch);
  const resumed = output.resumedFrom;
  if (output.restartReason) log(`starting ${inv.out} over: ${output.restartReason}`);
  if (output.resumed)
    log(`resuming batch ${batch}: ${resumed.written} of ${scanned.lines} lines already in ${inv.out}`);

  const queue = new Queue<JobData, JobResult>(inv.queue, { connection });
  // QueueEvents reads with a blocking command: BullMQ gives it a duplicate of the connection.
  const events = new QueueEvents(inv.queue, { connection });
  queue.on('error', () => {});
  events.on('error', () => {});
  /** Closes without waiting on Redis (which may be gone: a polite QUIT would wait for it forever). */
  const disconnect = async () => {
    const eventsClient = await Promise.race([
      events.client,
      new Promise<null>((r) => setTimeout(() => r(null), 200)),
    ]).catch(() => null);
    void events.close().catch(() => {});
    void queue.close().catch(() => {});
    eventsClient?.disconnect();
    connection.disconnect();
  };
  const guard = <T>(promise: Promise<T>) => watch.guard(promise);

  const lines = new InOrderLines<JobResult>((line, result) => output.append(line, result.out, result.failed));
  let requeued = 0;
  events.on('completed', ({ jobId, returnvalue }) => {
    const line = lineOfJob(batch, jobId);
    if (line !== null) lines.settle(line, resultOf(returnvalue));
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const line = lineOfJob(batch, jobId);
    if (line === null) return;
    // Only a final failure settles the line; a retried attempt goes back to the queue.
    void queue.getJobState(jobId).then(
      (state) => {
        if (state === 'failed') lines.settle(line, failureOf(failedReason));
      },
      () => {},
    );
  });

  const enqueue = async (open: OpenLine<JobResult>[]) => {
    if (open.length === 0) return;
    await guard(queue.addBulk(open.map((l) => jobOfLine(batch, defaults, l.line, l.raw))));
    for (const l of open) l.enqueued = true;
  };

  /** Asks Redis about every line still waiting: settles the finished, queues again the lost. */
  let sweeping = false;
  const sweep = async () => {
    if (sweeping || !watch.up) return;
    sweeping = true;
    try {
      const open = lines.waiting();
      const states = await guard(Promise.all(open.map((l) => queue.getJobState(jobIdOf(batch, l.line)))));
      const missing: OpenLine<JobResult>[] = [];
      for (const [i, l] of open.entries()) {
        const state = states[i];
        if (state === 'completed' || state === 'failed') {
          const job = await guard(queue.getJob(jobIdOf(batch, l.line)));
          if (!job) continue;
          lines.settle(l.line, state === 'completed' ? resultOf(job.returnvalue) : failureOf(job.failedReason));
        } else if (state === 'unknown') {
          missing.push(l);
        }
      }
      if (missing.length > 0) {
        requeued += missing.length;
        log(`${missing.length} jobs were missing from Redis (restarted without its data?): queued again`);
        await enqueue(missing);
      }
    } catch {
      // An outage: the watch decides; the next sweep tries again.
    } finally {
      sweeping = false;
    }
  };
  watch.start((downMs) => {
    if (downMs !== null) log(`${where} is back after ${(downMs / 1000).toFixed(1)} s`);
    void sweep();
  });

  /** Makes OUT's lines durable, then removes their jobs from Redis. */
  let removing = Promise.resolve();
  const checkpoint = () => {
    const ids = lines.takeWritten().map((line) => jobIdOf(batch, line));
    if (ids.length === 0) return;
    output.checkpoint();
    removing = removing.then(() =>
      guard(Promise.all(ids.map((id) => queue.remove(id)))).then(
        () => {},
        () => {},
      ),
    );
  };

  const progress = new BatchProgress({
    mode: inv.progress === 'auto' ? (io.stderr.isTTY ? 'bar' : 'lines') : inv.progress,
    write: (text) => io.stderr.write(text),
    total: scanned.lines,
    done: () => resumed.written + lines.settled,
    failed: () => output.failed,
    onStall: () => {
      if (!watch.up) return false;
      void guard(queue.getWorkersCount()).then(
        (n) => {
          if (n > 0) return;
          progress.breakLine();
          log(
            `no progress for 10 s and no worker on queue "${inv.queue}": start one with \`unmask worker --redis ${redactedUrl(inv.redis)}\``,
          );
        },
        () => {},
      );
      return true;
    },
  });
  const started = Date.now();
  const every = progress.intervalMs;
  const timers = [
    setInterval(checkpoint, CHECKPOINT_MS),
    setInterval(() => void sweep(), SWEEP_MS),
    ...(every === null ? [] : [setInterval(() => progress.tick(), every)]),
  ];
  const stopTimers = () => {
    watch.stop();
    for (const t of timers) clearInterval(t);
  };

  let interrupted: string | null = null;
  const onSignal = (signal: string) => {
    interrupted = signal;
    watch.fail(new RedisLost(signal));
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);

  try {
    await guard(events.waitUntilReady());
    let lineNumber = 0;
    let toAdd: OpenLine<JobResult>[] = [];
    for await (const raw of createInterface({ input: createReadStream(inv.input), crlfDelay: Infinity })) {
      lineNumber += 1;
      if (raw.trim() === '' || lineNumber <= resumed.line) continue;
      toAdd.push(lines.add(lineNumber, raw));
      if (toAdd.length >= ADD_CHUNK || lines.size >= inv.window) {
        await enqueue(toAdd);
        toAdd = [];
      }
      while (lines.size >= inv.window) await guard(lines.changed);
    }
    await enqueue(toAdd);
    while (lines.size > 0) await guard(lines.changed);
    checkpoint();
    await guard(removing);
  } catch (error) {
    stopTimers();
    if (!(error instanceof RedisLost)) {
      await disconnect();
      throw error;
    }
    progress.breakLine();
    output.abandon();
    await disconnect();
    const state = `${inv.out} holds ${output.written} of ${scanned.lines} lines (checkpoint ${checkpointPathOf(inv.out)}); on resuming, lines whose jobs Redis still holds are collected, the others queued again`;
    const resume = resumeCommandOf(argv);
    if (interrupted) {
      log(`${interrupted}: stopped. ${state}. Resume with:\n  ${resume}`);
      return 130;
    }
    log(
      `${where} has been unreachable for more than ${inv.redisTimeoutMs / 1000} s (${error.message}). ${state}. When Redis is back, resume with:\n  ${resume}`,
    );
    return 3;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
  stopTimers();
  progress.finish();
  output.finish();
  await disconnect();
  const seconds = (Date.now() - started) / 1000;
  const settled = lines.settled;
  log(
    `${output.written} lines in ${inv.out} (${output.failed} failed); ${settled} answered in this run in ${seconds.toFixed(1)} s (${(settled / Math.max(seconds, 0.001)).toFixed(2)} lines/s)${requeued ? `; ${requeued} re-queued after Redis lost them` : ''}`,
  );
  return output.failed > 0 ? 1 : 0;
}

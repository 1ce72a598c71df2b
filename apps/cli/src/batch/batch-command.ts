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
 * resumes it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { UnmaskError } from '@unmask/core';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { ASK_DECODING_OPTIONS, parseAskArgs } from '../ask-args.js';
import type { Io } from '../ask-command.js';
import { BATCH_HELP } from '../help.js';
import { mediaOfLine, readMediaFile, type LineDefaults } from '../jsonl-line.js';
import { BatchOutput, checkpointPathOf } from './batch-output.js';
import { RateMeter, renderProgress } from './progress.js';
import {
  connect,
  DEFAULT_QUEUE,
  defaultsToJson,
  JOB_ATTEMPTS,
  jobIdOf,
  jobResultSchema,
  mediaKey,
  parseRedisUrl,
  redactedUrl,
  type JobData,
  type JobResult,
} from './queue-shared.js';
import { integerFlag } from './integer-flag.js';

const OPTIONS = {
  redis: { type: 'string' },
  jsonl: { type: 'string' },
  out: { type: 'string' },
  queue: { type: 'string' },
  'batch-id': { type: 'string' },
  window: { type: 'string' },
  'redis-timeout': { type: 'string' },
  progress: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...ASK_DECODING_OPTIONS,
} as const;

/** Jobs added to Redis in one round trip. */
const ADD_CHUNK = 64;
/** How often OUT is checkpointed and written lines' jobs removed. */
const CHECKPOINT_MS = 1000;
/** How often every open line's state is read from Redis. */
const SWEEP_MS = 3000;

export interface BatchInvocation {
  readonly redis: string;
  readonly input: string;
  readonly out: string;
  readonly queue: string;
  readonly batchId: string | undefined;
  /** Lines queued or answered but not yet written, at most (bounds Redis memory). */
  readonly window: number;
  readonly redisTimeoutMs: number;
  readonly progress: 'auto' | 'bar' | 'lines' | 'off';
  readonly defaults: LineDefaults;
}

export function parseBatchArgs(argv: string[]): BatchInvocation | 'help' {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify.*$/s, '');
    const hint = /'--(model|image|audio|json)'/.test(message)
      ? ' (the model is the workers\u2019: pass --model to `unmask worker`; media come from IN)'
      : '';
    throw new UnmaskError('invalid_parameter', `${message}${hint}`, 'argv');
  }
  if (values.help) return 'help';
  for (const flag of ['redis', 'jsonl', 'out'] as const)
    if (values[flag] === undefined)
      throw new UnmaskError('invalid_parameter', `missing --${flag}; see \`unmask batch --help\``, `--${flag}`);
  parseRedisUrl(values.redis as string);
  if (values.jsonl === '-')
    throw new UnmaskError(
      'invalid_parameter',
      '--jsonl must be a file (a batch resumes by reading it again)',
      '--jsonl',
    );
  const progress = values.progress ?? 'auto';
  if (!['auto', 'bar', 'lines', 'off'].includes(progress))
    throw new UnmaskError(
      'invalid_parameter',
      `--progress must be auto, bar, lines or off, got ${progress}`,
      '--progress',
    );
  if (values['batch-id'] !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(values['batch-id']))
    throw new UnmaskError('invalid_parameter', '--batch-id takes 1 to 64 letters, digits or _', '--batch-id');
  // The decoding flags mean what they mean to `ask`, checked by the same parser.
  const askArgv: string[] = [];
  for (const name of Object.keys(ASK_DECODING_OPTIONS) as (keyof typeof ASK_DECODING_OPTIONS)[]) {
    const value = values[name];
    if (value === undefined || value === false) continue;
    askArgv.push(`--${name}`, ...(value === true ? [] : [String(value)]));
  }
  const ask = parseAskArgs([...askArgv, '--jsonl', values.jsonl as string]);
  return {
    redis: values.redis as string,
    input: values.jsonl as string,
    out: values.out as string,
    queue: values.queue ?? DEFAULT_QUEUE,
    batchId: values['batch-id'],
    window: integerFlag(values.window, 'window', 1, 1_000_000, 512),
    redisTimeoutMs: integerFlag(values['redis-timeout'], 'redis-timeout', 1, 86_400, 60) * 1000,
    progress: progress as BatchInvocation['progress'],
    defaults: {
      strategy: ask.strategy,
      maxTokens: ask.maxTokens,
      seed: ask.seed,
      temperature: ask.temperature,
      topP: ask.topP,
      topK: ask.topK,
      cache: ask.cache,
    },
  };
}

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

const shellQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

class RedisLost extends Error {}

function waitReady(connection: Redis, timeoutMs: number): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    const onError = (error: Error) => {
      lastError = error.message || String(error);
    };
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      connection.off('error', onError);
      reject(new RedisLost(lastError));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      connection.off('error', onError);
      resolve();
    };
    connection.once('ready', onReady);
    connection.on('error', onError);
  });
}

interface Slot {
  readonly line: number;
  readonly raw: string;
  enqueued: boolean;
  result?: JobResult;
}

export async function batchCommand(argv: string[], io: Io): Promise<number> {
  const inv = parseBatchArgs(argv);
  if (inv === 'help') {
    io.stdout.write(BATCH_HELP);
    return 0;
  }
  const log = (message: string) => io.stderr.write(`unmask batch: ${message}\n`);
  const resumeCommand = `unmask batch ${argv.map(shellQuote).join(' ')}`;
  const defaults = defaultsToJson(inv.defaults);
  const scanned = await scanInput(inv.input);
  const batch =
    inv.batchId ??
    `b${createHash('sha256').update(scanned.hash).update(JSON.stringify(defaults)).digest('hex').slice(0, 16)}`;
  const where = `Redis ${redactedUrl(inv.redis)}`;

  const connection = connect(inv.redis);
  let lastRedisError = '';
  connection.on('error', (error: Error) => {
    lastRedisError = error.message || String(error);
  });
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

  // ---- an outage longer than --redis-timeout stops everything waiting on Redis ----
  let downSince: number | null = null;
  let lost: RedisLost | null = null;
  let failLost: (error: RedisLost) => void = () => {};
  const lostPromise = new Promise<never>((_, reject) => {
    failLost = reject;
  });
  lostPromise.catch(() => {});
  const guard = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, lostPromise]);
  connection.on('close', () => {
    downSince ??= Date.now();
  });
  connection.on('ready', () => {
    if (downSince !== null) log(`${where} is back after ${((Date.now() - downSince) / 1000).toFixed(1)} s`);
    downSince = null;
    void sweep();
  });
  const watchdog = setInterval(() => {
    if (downSince !== null && !lost && Date.now() - downSince > inv.redisTimeoutMs) {
      lost = new RedisLost(lastRedisError || 'connection closed');
      failLost(lost);
    }
  }, 250);

  // ---- lines in flight, written in order as they settle ----
  const slots = new Map<number, Slot>();
  const written: number[] = [];
  let settledThisRun = 0;
  let requeued = 0;
  let wake: () => void = () => {};
  let changed = new Promise<void>((r) => {
    wake = r;
  });
  const notify = () => {
    const previous = wake;
    changed = new Promise<void>((r) => {
      wake = r;
    });
    previous();
  };
  const settle = (line: number, result: JobResult) => {
    const slot = slots.get(line);
    if (!slot || slot.result) return;
    slot.result = result;
    settledThisRun += 1;
    for (const [l, s] of slots) {
      if (!s.result) break;
      output.append(l, s.result.out, s.result.failed);
      slots.delete(l);
      written.push(l);
    }
    notify();
  };
  const lineOfJob = (jobId: string | undefined): number | null => {
    const match = jobId?.startsWith(`${batch}-`) ? /^\d+$/.exec(jobId.slice(batch.length + 1)) : null;
    return match ? Number(match[0]) : null;
  };
  const resultOf = (returnvalue: unknown): JobResult => {
    const value = typeof returnvalue === 'string' ? safeJson(returnvalue) : returnvalue;
    const parsed = jobResultSchema.safeParse(value);
    return parsed.success
      ? parsed.data
      : { out: JSON.stringify({ error: 'the worker returned an unreadable result' }), failed: true };
  };
  const failureOf = (reason: string | undefined): JobResult => ({
    out: JSON.stringify({ error: `worker: ${reason || 'failed'}` }),
    failed: true,
  });

  events.on('completed', ({ jobId, returnvalue }) => {
    const line = lineOfJob(jobId);
    if (line !== null) settle(line, resultOf(returnvalue));
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const line = lineOfJob(jobId);
    if (line === null) return;
    // Only a final failure settles the line; a retried attempt goes back to the queue.
    void queue.getJobState(jobId).then(
      (state) => {
        if (state === 'failed') settle(line, failureOf(failedReason));
      },
      () => {},
    );
  });

  const jobOf = (slot: Slot) => {
    const media: JobData['media'] = {};
    for (const { path, field } of mediaOfLine(slot.raw)) {
      const key = mediaKey(field, path);
      if (key in media) continue;
      try {
        media[key] = { b64: Buffer.from(readMediaFile(path, field)).toString('base64') };
      } catch (error) {
        media[key] = { error: (error as Error).message };
      }
    }
    const data: JobData = { v: 1, batch, line: slot.line, raw: slot.raw, media, defaults };
    return {
      name: 'ask',
      data,
      opts: {
        jobId: jobIdOf(batch, slot.line),
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    };
  };
  const enqueue = async (batchOfSlots: Slot[]) => {
    if (batchOfSlots.length === 0) return;
    await guard(queue.addBulk(batchOfSlots.map(jobOf)));
    for (const slot of batchOfSlots) slot.enqueued = true;
  };

  let sweeping = false;
  const sweep = async () => {
    if (sweeping || lost || downSince !== null) return;
    sweeping = true;
    try {
      const open = [...slots.values()].filter((s) => s.enqueued && !s.result);
      const states = await guard(Promise.all(open.map((s) => queue.getJobState(jobIdOf(batch, s.line)))));
      const missing: Slot[] = [];
      for (const [i, slot] of open.entries()) {
        const state = states[i];
        if (state === 'completed' || state === 'failed') {
          const job = await guard(queue.getJob(jobIdOf(batch, slot.line)));
          if (!job) continue;
          settle(slot.line, state === 'completed' ? resultOf(job.returnvalue) : failureOf(job.failedReason));
        } else if (state === 'unknown') {
          missing.push(slot);
        }
      }
      if (missing.length > 0) {
        requeued += missing.length;
        log(`${missing.length} jobs were missing from Redis (restarted without its data?): queued again`);
        await enqueue(missing);
      }
    } catch {
      // An outage: the watchdog decides; the next sweep tries again.
    } finally {
      sweeping = false;
    }
  };

  let removing = Promise.resolve();
  const checkpoint = () => {
    if (written.length === 0) return;
    output.checkpoint();
    const ids = written.splice(0).map((line) => jobIdOf(batch, line));
    removing = removing.then(() =>
      guard(Promise.all(ids.map((id) => queue.remove(id)))).then(
        () => {},
        () => {},
      ),
    );
  };

  // ---- progress ----
  const mode =
    inv.progress === 'auto' ? (io.stderr.isTTY ? 'bar' : 'lines') : (inv.progress as 'bar' | 'lines' | 'off');
  const meter = new RateMeter();
  const started = Date.now();
  let lastProgressAt = started;
  let lastDone = -1;
  let hinted = false;
  let lastStallCheck = started;
  const progressLine = () => {
    const done = resumed.written + settledThisRun;
    meter.record(Date.now(), settledThisRun);
    return renderProgress({ done, total: scanned.lines, failed: output.failed, rate: meter.rate() });
  };
  const tick = () => {
    const line = progressLine();
    if (mode === 'bar') io.stderr.write(`\r\u001b[2K${line}`);
    else if (mode === 'lines' && Date.now() - lastProgressAt >= 10_000) {
      io.stderr.write(`${line}\n`);
      lastProgressAt = Date.now();
    }
    const done = resumed.written + settledThisRun;
    if (done !== lastDone) {
      lastDone = done;
      lastStallCheck = Date.now();
    } else if (!hinted && Date.now() - lastStallCheck > 10_000 && downSince === null) {
      hinted = true;
      void guard(queue.getWorkersCount()).then(
        (n) => {
          if (n === 0) {
            if (mode === 'bar') io.stderr.write('\n');
            log(
              `no progress for 10 s and no worker on queue "${inv.queue}": start one with \`unmask worker --redis ${redactedUrl(inv.redis)}\``,
            );
          }
        },
        () => {},
      );
    }
  };
  const timers = [
    setInterval(checkpoint, CHECKPOINT_MS),
    setInterval(() => void sweep(), SWEEP_MS),
    ...(mode === 'off' ? [] : [setInterval(tick, mode === 'bar' ? 250 : 1000)]),
  ];
  const stopTimers = () => {
    clearInterval(watchdog);
    for (const t of timers) clearInterval(t);
  };

  let interrupted: string | null = null;
  const onSignal = (signal: string) => {
    interrupted = signal;
    failLost(new RedisLost(signal));
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);

  try {
    await guard(events.waitUntilReady());
    let lineNumber = 0;
    let toAdd: Slot[] = [];
    for await (const raw of createInterface({ input: createReadStream(inv.input), crlfDelay: Infinity })) {
      lineNumber += 1;
      if (raw.trim() === '' || lineNumber <= resumed.line) continue;
      const slot: Slot = { line: lineNumber, raw, enqueued: false };
      slots.set(lineNumber, slot);
      toAdd.push(slot);
      if (toAdd.length >= ADD_CHUNK || slots.size >= inv.window) {
        await enqueue(toAdd);
        toAdd = [];
      }
      while (slots.size >= inv.window) await guard(changed);
    }
    await enqueue(toAdd);
    while (slots.size > 0) await guard(changed);
    checkpoint();
    await guard(removing);
  } catch (error) {
    stopTimers();
    if (!(error instanceof RedisLost)) {
      await disconnect();
      throw error;
    }
    if (mode === 'bar') io.stderr.write('\n');
    output.abandon();
    await disconnect();
    const state = `${inv.out} holds ${output.written} of ${scanned.lines} lines (checkpoint ${checkpointPathOf(inv.out)}); on resuming, lines whose jobs Redis still holds are collected, the others queued again`;
    if (interrupted) {
      log(`${interrupted}: stopped. ${state}. Resume with:\n  ${resumeCommand}`);
      return 130;
    }
    log(
      `${where} has been unreachable for more than ${inv.redisTimeoutMs / 1000} s (${error.message}). ${state}. When Redis is back, resume with:\n  ${resumeCommand}`,
    );
    return 3;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
  stopTimers();
  if (mode !== 'off') io.stderr.write(`${mode === 'bar' ? '\r\u001b[2K' : ''}${progressLine()}\n`);
  output.finish();
  await disconnect();
  const seconds = (Date.now() - started) / 1000;
  log(
    `${output.written} lines in ${inv.out} (${output.failed} failed); ${settledThisRun} answered in this run in ${seconds.toFixed(1)} s (${(settledThisRun / Math.max(seconds, 0.001)).toFixed(2)} lines/s)${requeued ? `; ${requeued} re-queued after Redis lost them` : ''}`,
  );
  return output.failed > 0 ? 1 : 0;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

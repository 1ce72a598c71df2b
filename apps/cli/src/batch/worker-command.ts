/**
 * `unmask worker --redis URL [--model DIR] [--concurrency N]`: loads a model once and answers the
 * jobs `unmask batch` queues, on any machine that reaches the Redis server. A job is one JSONL
 * line; its result is the line `unmask ask --jsonl` prints for it. SIGTERM or SIGINT drains: no
 * new job is taken, the ones in flight finish, then the process exits 0 (a second signal exits at
 * once; its jobs go back to the queue when their lock expires). A worker killed outright loses
 * nothing either: another worker takes its jobs once their lock expires (--lock-duration).
 */
import { parseArgs } from 'node:util';
import { UnmaskError } from '@unmask/core';
import { defaultModelDir, Unmask } from '@unmask/pipeline';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Io } from '../ask-command.js';
import { WORKER_HELP } from '../help.js';
import { answerLine } from '../jsonl-line.js';
import {
  connect,
  DEFAULT_QUEUE,
  jobDataSchema,
  MAX_STALLED,
  mediaReaderOf,
  parseRedisUrl,
  redactedUrl,
  type JobResult,
} from './queue-shared.js';
import { integerFlag } from './integer-flag.js';

/** How long a drain waits for Redis to come back before giving up on the jobs in flight. */
const DRAIN_WITHOUT_REDIS_MS = 10_000;

const OPTIONS = {
  redis: { type: 'string' },
  model: { type: 'string' },
  concurrency: { type: 'string' },
  queue: { type: 'string' },
  'lock-duration': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface WorkerInvocation {
  readonly redis: string;
  readonly modelDir: string | undefined;
  readonly concurrency: number;
  readonly queue: string;
  readonly lockDurationMs: number;
  readonly verbose: boolean;
}

export function parseWorkerArgs(argv: string[]): WorkerInvocation | 'help' {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new UnmaskError('invalid_parameter', (error as Error).message.replace(/\. To specify.*$/s, ''), 'argv');
  }
  if (values.help) return 'help';
  if (values.redis === undefined)
    throw new UnmaskError('invalid_parameter', 'missing --redis URL (e.g. redis://127.0.0.1:6379)', '--redis');
  parseRedisUrl(values.redis);
  return {
    redis: values.redis,
    modelDir: values.model,
    concurrency: integerFlag(values.concurrency, 'concurrency', 1, 256, 4),
    queue: values.queue ?? DEFAULT_QUEUE,
    lockDurationMs: integerFlag(values['lock-duration'], 'lock-duration', 1000, 3_600_000, 30_000),
    verbose: values.verbose ?? false,
  };
}

export async function workerCommand(argv: string[], io: Io): Promise<number> {
  const inv = parseWorkerArgs(argv);
  if (inv === 'help') {
    io.stdout.write(WORKER_HELP);
    return 0;
  }
  const log = (message: string) => io.stderr.write(`unmask worker: ${message}\n`);
  const started = performance.now();
  const unmask = await Unmask.load(inv.modelDir ?? defaultModelDir(), { maxBatchSize: inv.concurrency });
  const loadSeconds = ((performance.now() - started) / 1000).toFixed(1);
  const connection = connect(inv.redis);
  let lastRedisError = '';
  let downSince: number | null = null;
  connection.on('close', () => {
    downSince ??= Date.now();
  });
  connection.on('error', (error: Error) => {
    if (error.message !== lastRedisError) log(`redis ${redactedUrl(inv.redis)}: ${error.message} (retrying)`);
    lastRedisError = error.message;
  });
  connection.on('ready', () => {
    if (lastRedisError) log(`redis ${redactedUrl(inv.redis)}: connected again`);
    lastRedisError = '';
    downSince = null;
  });

  let answered = 0;
  const worker = new Worker<unknown, JobResult>(
    inv.queue,
    async (job) => {
      const parsed = jobDataSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`job ${job.id} is not an unmask batch line`);
      const data = parsed.data;
      const jobStarted = performance.now();
      if (inv.verbose) log(`job ${job.id} started (attempt ${job.attemptsMade + 1})`);
      const outcome = await answerLine(unmask, data.raw, data.line, data.defaults, mediaReaderOf(data.media));
      answered += 1;
      if (inv.verbose) log(`job ${job.id} done in ${Math.round(performance.now() - jobStarted)} ms`);
      return outcome;
    },
    {
      connection,
      concurrency: inv.concurrency,
      lockDuration: inv.lockDurationMs,
      stalledInterval: inv.lockDurationMs,
      maxStalledCount: MAX_STALLED,
      autorun: false,
    },
  );
  worker.on('error', (error) => {
    if (error.message !== lastRedisError) log(`error: ${error.message}`);
  });
  worker.on('failed', (job, error) => log(`job ${job?.id ?? '?'} failed: ${error.message}`));

  const stopped = new Promise<number>((resolve) => {
    const drain = async (signal: string) => {
      log(`${signal}: draining (finishing the jobs in flight, taking no new ones)`);
      const again = () => {
        log('second signal: exiting now; the jobs in flight return to the queue when their lock expires');
        process.exit(1);
      };
      process.once('SIGTERM', again);
      process.once('SIGINT', again);
      // A job's answer is written to Redis: while Redis is unreachable a drain cannot finish.
      const closing = worker.close();
      const gaveUp = await new Promise<boolean>((done) => {
        const check = setInterval(() => {
          if (downSince !== null && Date.now() - downSince > DRAIN_WITHOUT_REDIS_MS) {
            clearInterval(check);
            done(true);
          }
        }, 250);
        void closing.then(
          () => {
            clearInterval(check);
            done(false);
          },
          () => {
            clearInterval(check);
            done(false);
          },
        );
      });
      if (gaveUp) {
        log(
          `Redis has been unreachable for ${DRAIN_WITHOUT_REDIS_MS / 1000} s: exiting without finishing; any job in flight goes back to the queue once Redis is back and its lock expires`,
        );
        void worker.close(true).catch(() => {});
      }
      await unmask.close();
      connection.disconnect();
      if (!gaveUp) log(`drained after ${answered} jobs; exiting`);
      // Whatever BullMQ still holds open (a reconnecting socket), the process ends now.
      setTimeout(() => process.exit(gaveUp ? 1 : 0), 2000).unref();
      resolve(gaveUp ? 1 : 0);
    };
    process.once('SIGTERM', () => void drain('SIGTERM'));
    process.once('SIGINT', () => void drain('SIGINT'));
  });
  log(
    `model ${unmask.bundle.manifest.name} loaded in ${loadSeconds} s; answering queue "${inv.queue}" on ${redactedUrl(inv.redis)}, ${inv.concurrency} at a time`,
  );
  void worker
    .run()
    .catch((error: unknown) => log(`stopped: ${error instanceof Error ? error.message : String(error)}`));
  return stopped;
}

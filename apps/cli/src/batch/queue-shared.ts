/**
 * What `unmask batch` and `unmask worker` agree on: the queue, the job ids, the job's data (the
 * raw JSONL line, its media bytes and the ask flags), its result, and the Redis connection.
 */
import { UnmaskError } from '@unmask/core';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { LineDefaults, MediaReader } from '../jsonl-line.js';

export const DEFAULT_QUEUE = 'unmask';
/** Attempts of a job whose worker threw (not a request error: those are answers). */
export const JOB_ATTEMPTS = 3;
/** A job whose worker died this many times (stalled, lock lost) fails instead of looping. */
export const MAX_STALLED = 2;

/** `{batch}-{line}`: the same line of the same batch is the same job, so re-submitting adds nothing twice. */
export function jobIdOf(batchId: string, line: number): string {
  return `${batchId}-${line}`;
}

const mediaEntry = z.union([z.object({ b64: z.string() }), z.object({ error: z.string() })]);

export const jobDataSchema = z.object({
  v: z.literal(1),
  batch: z.string().min(1),
  line: z.number().int().min(1),
  raw: z.string(),
  /** `field:path` → the file's bytes, or the error reading it gave (`ask` prints that error). */
  media: z.record(z.string(), mediaEntry),
  defaults: z.object({
    strategy: z.record(z.string(), z.unknown()).optional(),
    maxTokens: z.number().int().optional(),
    seed: z.number().int().optional(),
    temperature: z.number().optional(),
    topP: z.number().optional(),
    topK: z.number().int().optional(),
    cache: z.enum(['none', 'prefix', 'dual']).optional(),
  }),
});
export type JobData = z.infer<typeof jobDataSchema>;

export const jobResultSchema = z.object({ out: z.string(), failed: z.boolean() });
export type JobResult = z.infer<typeof jobResultSchema>;

export const mediaKey = (field: string, path: string) => `${field}:${path}`;

/** The worker's media reader: the bytes `unmask batch` read, or the error it got reading them. */
export function mediaReaderOf(media: JobData['media']): MediaReader {
  return (path, field) => {
    const entry = media[mediaKey(field, path)];
    if (!entry) throw new UnmaskError('invalid_parameter', `${field} ${path}: not sent with the job`, field);
    if ('error' in entry) throw new UnmaskError('invalid_parameter', entry.error, field);
    return Buffer.from(entry.b64, 'base64');
  };
}

/** LineDefaults as JSON (the strategy spec is plain data). */
export function defaultsToJson(defaults: LineDefaults): JobData['defaults'] {
  return JSON.parse(JSON.stringify(defaults)) as JobData['defaults'];
}

/** Checks a --redis URL: redis://[user:password@]host[:port][/db] or rediss:// for TLS. */
export function parseRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnmaskError(
      'invalid_parameter',
      `--redis ${JSON.stringify(url)} is not a URL (redis://host:port)`,
      '--redis',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new UnmaskError('invalid_parameter', `--redis must be a redis:// or rediss:// URL, got ${url}`, '--redis');
  return parsed;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * A connection that waits for Redis to come back instead of failing commands (BullMQ's workers
 * require this); the caller decides how long an outage may last.
 */
export function connect(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    ...extra,
  });
}

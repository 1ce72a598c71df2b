/**
 * How `unmask batch` lives with Redis going away: it waits for the first connection, and once
 * running, an outage longer than --redis-timeout (or a signal) fails everything waiting on Redis,
 * so the command stops with the line that resumes it instead of hanging.
 */
import type { Redis } from 'ioredis';

/** Redis unreachable for longer than allowed, or the batch stopped by a signal (the message). */
export class RedisLost extends Error {}

/** Resolves once `connection` is ready; rejects with RedisLost (the last error) after `timeoutMs`. */
export function waitReady(connection: Redis, timeoutMs: number): Promise<void> {
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

/**
 * Watches one connection: `guard(p)` is `p`, or RedisLost once the connection has been down for
 * more than `timeoutMs` or `fail` was called. Listens to the connection's errors from the start
 * (ioredis reports an error event nobody listens to); `start` begins the watch proper.
 */
export class OutageWatch {
  private downSince: number | null = null;
  private lost: RedisLost | null = null;
  private lastError = '';
  private reject: (error: RedisLost) => void = () => {};
  private readonly lostPromise = new Promise<never>((_, reject) => {
    this.reject = reject;
  });
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly timeoutMs: number,
  ) {
    this.lostPromise.catch(() => {});
    connection.on('error', (error: Error) => {
      this.lastError = error.message || String(error);
    });
  }

  /** From now on, a closed connection starts the clock; `onReady(downMs)` hears each reconnection. */
  start(onReady: (downMs: number | null) => void): void {
    this.connection.on('close', () => {
      this.downSince ??= Date.now();
    });
    this.connection.on('ready', () => {
      const since = this.downSince;
      this.downSince = null;
      onReady(since === null ? null : Date.now() - since);
    });
    this.timer = setInterval(() => {
      if (this.downSince !== null && !this.lost && Date.now() - this.downSince > this.timeoutMs)
        this.fail(new RedisLost(this.lastError || 'connection closed'));
    }, 250);
  }

  /** Whether Redis is reachable as far as the watch knows, and the batch not stopped. */
  get up(): boolean {
    return this.lost === null && this.downSince === null;
  }

  guard<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.lostPromise]);
  }

  fail(error: RedisLost): void {
    this.lost ??= error;
    this.reject(error);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

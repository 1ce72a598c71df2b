/**
 * The bounded queue in front of the engine: at most `maxActive` requests decode at once (the
 * engine batches them), at most `maxQueued` wait; beyond that a request is refused at once with
 * 429 and a Retry-After estimated from recent latencies. A waiting request whose signal aborts
 * leaves the queue.
 */
import { ApiError } from './http/api-error.js';
import type { Metrics } from './metrics.js';

export type Release = () => void;

export class Admission {
  private active = 0;
  private readonly waiting: { grant: (release: Release) => void; fail: (error: unknown) => void }[] = [];
  /** Moving average of a slot's holding time, in seconds. */
  private averageSeconds = 1;

  constructor(
    private readonly maxActive: number,
    private readonly maxQueued: number,
    private readonly metrics: Metrics,
  ) {}

  get depth(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  acquire(signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.active < this.maxActive) return Promise.resolve(this.grant());
    if (this.waiting.length >= this.maxQueued) {
      this.metrics.rejected.inc();
      const seconds = Math.max(1, Math.ceil((this.averageSeconds * (this.waiting.length + 1)) / this.maxActive));
      return Promise.reject(
        new ApiError(
          429,
          'rate_limit_error',
          `the server is busy (${this.active} decoding, ${this.waiting.length} waiting); retry in ${seconds} s`,
          'queue_full',
          null,
          {
            'retry-after': String(seconds),
          },
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const entry = {
        grant: (release: Release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: reject,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        this.metrics.queueDepth.set(this.waiting.length);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.metrics.queueDepth.set(this.waiting.length);
    });
  }

  private grant(): Release {
    this.active += 1;
    this.metrics.activeGenerations.set(this.active);
    const started = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.averageSeconds = 0.8 * this.averageSeconds + 0.2 * ((performance.now() - started) / 1000);
      this.active -= 1;
      const next = this.waiting.shift();
      this.metrics.queueDepth.set(this.waiting.length);
      if (next) next.grant(this.grant());
      this.metrics.activeGenerations.set(this.active);
    };
  }
}

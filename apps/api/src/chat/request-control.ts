/**
 * One request's cancellation: its client disconnecting, its deadline passing or the server
 * giving up on a drain all abort the same signal, which the queue and the engine observe (the
 * engine between steps). `explain` turns the resulting error
 * into what the client should see.
 */
import type { ServerResponse } from 'node:http';
import { isUnmaskError } from '@unmask/core';
import { ApiError } from '../http/api-error.js';
import type { Metrics, Outcome } from '../metrics.js';

export type AbortCause = 'client' | 'deadline' | 'shutdown';

export class RequestControl {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onClose: () => void;
  private readonly onShutdown: () => void;
  cause: AbortCause | undefined;
  /** Forward passes seen so far (from step events). */
  forwardPasses = 0;
  private recorded = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly deadlineMs: number,
    private readonly shutdown: AbortSignal,
    private readonly metrics: Metrics,
  ) {
    this.timer = setTimeout(() => this.abort('deadline'), deadlineMs);
    this.onClose = () => {
      if (!res.writableFinished) this.abort('client');
    };
    this.onShutdown = () => this.abort('shutdown');
    res.once('close', this.onClose);
    shutdown.addEventListener('abort', this.onShutdown, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get clientGone(): boolean {
    return this.cause === 'client' || this.res.destroyed;
  }

  abort(cause: AbortCause): void {
    if (this.controller.signal.aborted) return;
    this.cause = cause;
    this.controller.abort(new Error(`request aborted: ${cause}`));
  }

  /** The error the client sees for a failure while this request ran. */
  explain(error: unknown): unknown {
    const abortish =
      this.signal.aborted &&
      (isUnmaskError(error, 'aborted') ||
        isUnmaskError(error, 'timeout') ||
        error === this.signal.reason ||
        (error as Error)?.name === 'AbortError');
    if (abortish && this.cause === 'deadline') {
      return new ApiError(
        504,
        'timeout_error',
        `the request did not finish within its deadline of ${this.deadlineMs} ms`,
        'timeout',
      );
    }
    if (abortish && this.cause === 'shutdown')
      return new ApiError(503, 'service_unavailable', 'the server is shutting down', 'shutting_down');
    if (abortish && this.cause === 'client')
      return new ApiError(499, 'invalid_request_error', 'the client closed the connection', 'client_closed');
    return error;
  }

  /** Records the request's outcome once (generations, forward passes). */
  record(outcome: Outcome, forwardPasses = this.forwardPasses): void {
    if (this.recorded) return;
    this.recorded = true;
    this.metrics.generations.inc({ outcome });
    this.metrics.forwardPasses.observe({ outcome }, forwardPasses);
  }

  outcomeOf(error: unknown): Outcome {
    if (this.cause === 'client') return 'cancelled';
    if (this.cause === 'deadline' || (error instanceof ApiError && error.code === 'timeout')) return 'timeout';
    return 'error';
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.res.off('close', this.onClose);
    this.shutdown.removeEventListener('abort', this.onShutdown);
  }
}

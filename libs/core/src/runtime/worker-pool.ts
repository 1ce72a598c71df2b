/**
 * A pool of worker threads running onnxruntime sessions. onnxruntime-node blocks the thread it
 * runs on, so every session lives in a worker and is reached through an async API.
 *
 * Each session is created once, in one worker (the one holding fewest sessions unless told
 * otherwise), and stays there with the state that belongs to it (a language model's KV caches).
 * Sessions in different workers run concurrently; requests to one worker run in order.
 *
 * When a worker dies, every request in flight on it fails with a `runtime_error`, a fresh
 * worker replaces it and reloads its sessions, and later requests work again. State held by the
 * dead worker (KV caches) is gone; `generation` tells holders that it changed.
 * Hand-written: task pools (piscina, workerpool) send a task to any free worker, while a session
 * and its caches belong to one worker and must be reloaded there after a crash.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { UnmaskError } from '../errors.js';
import { siblingModule, startModuleWorker } from './module-worker.js';
import { OnnxSession } from './onnx-session.js';
import { type SessionOptions, parseSessionOptions } from './session-options.js';
import type {
  ReplyOf,
  RequestOf,
  WorkerChannel,
  WorkerKind,
  WorkerReply,
  WorkerRequest,
  WorkerStats,
} from './worker-protocol.js';

export interface WorkerPoolOptions {
  /** Number of worker threads; default min(2, available cores). */
  readonly size?: number;
  /** Defaults for every session of this pool (overridable per session). */
  readonly sessionOptions?: SessionOptions;
  /** Module the workers run instead of onnx-worker (a file URL); for tests of the pool itself. */
  readonly workerEntry?: string;
}

/** A worker that dies this many times in a row without answering anything is not restarted. */
const MAX_SILENT_CRASHES = 3;

export interface CreateSessionOptions extends SessionOptions {
  /** Put the session in this worker (an index below `size`), e.g. next to a related session. */
  readonly worker?: number;
  /** Graph outputs to load the graph without, never to be fetched (graph-outputs.ts says why). */
  readonly dropOutputs?: readonly string[];
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** A loaded session's `create` request, kept to load it again in a replaced worker. */
type SessionRecord = RequestOf<'create'>;

class Slot {
  worker!: Worker;
  generation = 0;
  readonly pending = new Map<number, Pending>();
  readonly sessions = new Map<number, SessionRecord>();
  lastError: Error | undefined;
  /** Crashes since the last answered request. */
  silentCrashes = 0;
  /** Set when the worker cannot be kept alive; every request then fails with it. */
  broken: UnmaskError | undefined;
  constructor(readonly index: number) {}
}

const workerEntry = siblingModule(import.meta.url, 'onnx-worker');

export class OnnxWorkerPool implements WorkerChannel {
  readonly size: number;
  private readonly slots: Slot[];
  private readonly defaults: SessionOptions;
  private readonly entry: string;
  private nextRequestId = 1;
  private nextSessionId = 1;
  private closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    const size = options.size ?? Math.min(2, availableParallelism());
    if (!Number.isInteger(size) || size < 1 || size > 64) {
      throw new UnmaskError('invalid_parameter', `worker pool size must be an integer in [1, 64], got ${size}`, 'size');
    }
    this.size = size;
    this.defaults = parseSessionOptions(options.sessionOptions, 'sessionOptions');
    this.entry = options.workerEntry ?? workerEntry;
    this.slots = Array.from({ length: size }, (_, index) => new Slot(index));
    for (const slot of this.slots) this.spawn(slot);
  }

  /** Loads an ONNX graph into one worker. */
  async createSession(path: string, options: CreateSessionOptions = {}): Promise<OnnxSession> {
    const { worker, dropOutputs, ...sessionOptions } = options;
    const merged = parseSessionOptions({ ...this.defaults, ...sessionOptions });
    if (worker !== undefined && !(Number.isInteger(worker) && worker >= 0 && worker < this.size)) {
      throw new UnmaskError(
        'invalid_parameter',
        `worker must be an integer in [0, ${this.size - 1}], got ${worker}`,
        'worker',
      );
    }
    const slot = worker === undefined ? this.leastLoaded() : this.slots[worker]!;
    const record: SessionRecord = {
      sessionId: this.nextSessionId++,
      path,
      options: merged,
      ...(dropOutputs?.length ? { dropOutputs: [...dropOutputs] } : {}),
    };
    const info = await this.call(slot.index, 'create', record);
    slot.sessions.set(record.sessionId, record);
    return new OnnxSession(this, slot.index, record.sessionId, path, info.inputs, info.outputs, info.dropped);
  }

  /** Sends one request to worker `index`; resolves with its reply or rejects with an `UnmaskError`. */
  call<K extends WorkerKind>(
    index: number,
    kind: K,
    body: RequestOf<K>,
    transfer: readonly ArrayBuffer[] = [],
  ): Promise<ReplyOf<K>> {
    if (this.closed) return Promise.reject(new UnmaskError('runtime_error', 'the ONNX worker pool is closed'));
    const slot = this.slots[index];
    if (!slot) return Promise.reject(new UnmaskError('runtime_error', `no ONNX worker #${index}`));
    if (slot.broken) return Promise.reject(slot.broken);
    const id = this.nextRequestId++;
    return new Promise<ReplyOf<K>>((resolve, reject) => {
      // The worker answers a request of kind K with ReplyOf<K> (onnx-worker.ts's handlers are typed so).
      slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      slot.worker.ref();
      try {
        slot.worker.postMessage({ ...body, kind, id } as WorkerRequest, [...transfer]);
      } catch (error) {
        slot.pending.delete(id);
        reject(
          new UnmaskError(
            'runtime_error',
            `cannot send to ONNX worker #${index}: ${(error as Error).message}`,
            undefined,
            { cause: error },
          ),
        );
      }
    });
  }

  /** Workers disabled after dying MAX_SILENT_CRASHES times in a row; empty while every worker serves. */
  get disabled(): readonly { readonly worker: number; readonly reason: string }[] {
    return this.slots.flatMap((slot) => (slot.broken ? [{ worker: slot.index, reason: slot.broken.message }] : []));
  }

  /** Bumped each time worker `index` is replaced after a crash. */
  generation(index: number): number {
    return this.slots[index]?.generation ?? -1;
  }

  forgetSession(index: number, sessionId: number): void {
    this.slots[index]?.sessions.delete(sessionId);
  }

  stats(index: number): Promise<WorkerStats> {
    return this.call(index, 'stats', {});
  }

  /** Test hook: makes worker `index` throw an uncaught exception, as a crash would. */
  simulateCrash(index: number): Promise<never> {
    return this.call(index, 'crash', {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        this.failPending(slot, new UnmaskError('runtime_error', 'the ONNX worker pool was closed'));
        await slot.worker.terminate();
      }),
    );
  }

  private leastLoaded(): Slot {
    return this.slots.reduce((best, slot) => (slot.sessions.size < best.sessions.size ? slot : best));
  }

  private spawn(slot: Slot): void {
    const worker = startModuleWorker(this.entry);
    slot.worker = worker;
    slot.lastError = undefined;
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      slot.silentCrashes = 0;
      if (slot.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new UnmaskError(reply.error.code, reply.error.message, reply.error.param));
    });
    worker.on('error', (error) => {
      slot.lastError = error;
    });
    worker.on('exit', (code) => {
      if (this.closed || slot.worker !== worker) return;
      const why = slot.lastError ? slot.lastError.message : `exit code ${code}`;
      this.failPending(
        slot,
        new UnmaskError(
          'runtime_error',
          `ONNX worker #${slot.index} crashed (${why}); the request was lost`,
          undefined,
          { cause: slot.lastError },
        ),
      );
      slot.generation++;
      if (++slot.silentCrashes >= MAX_SILENT_CRASHES) {
        slot.broken = new UnmaskError(
          'runtime_error',
          `ONNX worker #${slot.index} died ${slot.silentCrashes} times in a row without answering (last: ${why}); it is not restarted`,
          undefined,
          { cause: slot.lastError },
        );
        return;
      }
      this.spawn(slot);
      this.reload(slot);
    });
  }

  /** Recreates a replaced worker's sessions under their old ids; requests queue behind them. */
  private reload(slot: Slot): void {
    for (const record of slot.sessions.values()) {
      this.call(slot.index, 'create', record).catch(() => {
        // A graph that no longer loads fails the requests that use it, with its own message.
      });
    }
  }

  private failPending(slot: Slot, error: UnmaskError): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) p.reject(error);
  }
}

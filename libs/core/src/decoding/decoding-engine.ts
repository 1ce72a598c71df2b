/**
 * The decoding engine: accepts generation requests at any time and decodes every active one
 * together, one batched forward pass per step (continuous batching: a request joins the batch
 * at the next step and leaves it when its canvas is full). Each request keeps its own strategy,
 * cache and random state, and streams its steps.
 *
 *   const engine = new DecodingEngine(model);
 *   const run = engine.generate({ promptIds, maxTokens: 16, strategy: { name: 'confident', threshold: 0.9 } });
 *   for await (const step of run) console.log(step.committed);
 *   const { tokenIds, forwardPasses } = await run.result;
 */
import { UnmaskError } from '../errors.js';
import type { ForwardRow, LanguageModel } from '../model/language-model.js';
import type { AnswerLayout } from './answer-layout.js';
import { AsyncQueue } from './async-queue.js';
import { DecodeSession } from './decode-session.js';
import type { DecodingDefaults } from './decoding-defaults.js';
import { type PrefixCache, prefixKey } from './prefix-cache.js';
import type { DecodeResult, StepEvent } from './events.js';
import type { RandomSource } from './random.js';
import { validateRequest, type GenerateRequest } from './request.js';

export interface EngineOptions {
  /** Most requests decoded together in one forward pass (default 8). */
  readonly maxBatchSize?: number;
  /** Turns answer token ids into text for `DecodeResult.text`. */
  readonly detokenize?: (ids: number[]) => string;
  /** The model family's decoding defaults (the bundle's `decoding` section); none: the built-in ones. */
  readonly defaults?: DecodingDefaults;
  /** Where a request's random draws come from (default: a `Random` seeded by `sampling.seed`); for tests. */
  readonly random?: () => RandomSource;
  /** Keys/values of shared prompt prefixes kept across requests (requests opt in with `sharedPrefix`). */
  readonly prefixCache?: PrefixCache;
  /**
   * What a shared prefix's keys/values are computed over when it is first seen: `prefix` (default)
   * the prefix alone, the same for every request that brings it; `request` the whole prompt and
   * masked canvas of the request that first brings it, as Dimple's prefilling computes a prompt's
   * keys/values in context (later requests reuse keys/values that saw that request's question).
   */
  readonly sharedPrefixContext?: SharedPrefixContext;
}

export type SharedPrefixContext = 'prefix' | 'request';

/** A running request: iterate it for step events; `result` settles when decoding ends. */
export interface DecodeStream extends AsyncIterable<StepEvent> {
  readonly result: Promise<DecodeResult>;
  /** Where the answer's fixed tokens and slots lie on the canvas (what `result.tokenIds` is read by). */
  readonly layout: AnswerLayout;
}

interface Job {
  readonly session: DecodeSession;
  readonly events: AsyncQueue<StepEvent>;
  readonly resolve: (result: DecodeResult) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly submittedAt: number;
}

export class DecodingEngine {
  private readonly waiting: Job[] = [];
  private readonly active: Job[] = [];
  private running = false;
  private readonly maxBatchSize: number;

  constructor(
    readonly model: LanguageModel,
    private readonly options: EngineOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 8;
    if (!Number.isInteger(this.maxBatchSize) || this.maxBatchSize < 1) {
      throw new UnmaskError(
        'invalid_parameter',
        `maxBatchSize must be a positive integer, got ${options.maxBatchSize}`,
        'maxBatchSize',
      );
    }
  }

  /** Requests waiting for a place in the batch plus those being decoded. */
  get load(): { waiting: number; active: number } {
    return { waiting: this.waiting.length, active: this.active.length };
  }

  /**
   * Starts decoding a request. Invalid requests throw here, synchronously, with an
   * `UnmaskError` naming the parameter.
   */
  generate(request: GenerateRequest): DecodeStream {
    const validated = validateRequest(request, this.model.info, this.options.defaults);
    const session = new DecodeSession(validated, this.model.info, undefined, this.options.random?.());
    const events = new AsyncQueue<StepEvent>();
    let resolve!: (r: DecodeResult) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<DecodeResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    result.catch(() => {}); // the caller may only iterate; the rejection still reaches awaiters
    const job: Job = { session, events, resolve, reject, signal: validated.signal, submittedAt: performance.now() };

    if (validated.signal?.aborted) {
      this.fail(job, abortError(validated.signal));
    } else if (session.done) {
      // A template without masks: nothing to decode.
      this.finish(job);
    } else {
      this.waiting.push(job);
      queueMicrotask(() => void this.loop()); // requests submitted in the same tick share the first step
    }
    return { result, layout: session.canvas.layout, [Symbol.asyncIterator]: () => events[Symbol.asyncIterator]() };
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0 || this.active.length > 0) {
        const admitted: Job[] = [];
        while (this.active.length + admitted.length < this.maxBatchSize && this.waiting.length > 0) {
          const job = this.waiting.shift() as Job;
          job.session.queueMs = performance.now() - job.submittedAt;
          admitted.push(job);
        }
        for (const job of admitted) if (await this.attachSharedPrefix(job)) this.active.push(job);
        for (const job of [...this.active]) {
          if (job.signal?.aborted) {
            this.remove(job);
            this.fail(job, abortError(job.signal));
          }
        }
        for (const job of [...this.waiting]) {
          if (job.signal?.aborted) {
            this.waiting.splice(this.waiting.indexOf(job), 1);
            this.fail(job, abortError(job.signal));
          }
        }
        if (this.active.length === 0) continue;
        await this.step([...this.active]);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Gives a request with a shared prefix that prefix's keys/values: from the prefix cache, or
   * computed now (over the prefix alone, or in the request's context: `sharedPrefixContext`) and
   * added to it. False when the request failed.
   */
  private async attachSharedPrefix(job: Job): Promise<boolean> {
    const cacheStore = this.options.prefixCache;
    const { request } = job.session;
    if (!cacheStore || request.sharedPrefix === 0) return true;
    const key = prefixKey(
      request.promptIds,
      request.sharedPrefix,
      request.embeddings,
      request.mropePositions?.segment(0, request.promptIds.length),
    );
    let cache = cacheStore.acquire(key);
    const hit = cache !== undefined;
    const started = performance.now();
    if (!cache) {
      try {
        const [result] = await this.model.forward([
          job.session.prefixRow(this.options.sharedPrefixContext === 'request'),
        ]);
        if (!result?.cache) throw new Error('the model returned no cache for the shared prefix');
        cache = cacheStore.insert(key, result.cache);
      } catch (error) {
        this.fail(
          job,
          error instanceof UnmaskError
            ? error
            : new UnmaskError('runtime_error', `prefix pass failed: ${(error as Error).message}`, undefined, {
                cause: error,
              }),
        );
        return false;
      }
    }
    const held = cache;
    job.session.attachPrefix(held, hit, performance.now() - started, () => cacheStore.unpin(held));
    return true;
  }

  private async step(batch: Job[]): Promise<void> {
    let perJob: ForwardRow[][];
    try {
      perJob = batch.map((job) => job.session.nextRows());
    } catch (error) {
      for (const job of batch) {
        this.remove(job);
        this.fail(job, error);
      }
      return;
    }
    const rows = perJob.flat();
    const started = performance.now();
    let results;
    try {
      results = await this.model.forward(rows);
      if (results.length !== rows.length)
        throw new Error(`the model returned ${results.length} rows for ${rows.length}`);
    } catch (error) {
      const wrapped =
        error instanceof UnmaskError
          ? error
          : new UnmaskError('runtime_error', `forward pass failed: ${(error as Error).message}`, undefined, {
              cause: error,
            });
      for (const job of batch) {
        this.remove(job);
        this.fail(job, wrapped);
      }
      return;
    }
    const forwardMs = performance.now() - started;
    let at = 0;
    batch.forEach((job, i) => {
      const count = (perJob[i] as ForwardRow[]).length;
      const own = results.slice(at, at + count);
      at += count;
      try {
        job.events.push(job.session.apply(own, forwardMs));
        if (job.session.done) {
          this.remove(job);
          this.finish(job);
        }
      } catch (error) {
        this.remove(job);
        this.fail(job, error);
      }
    });
  }

  private remove(job: Job): void {
    const i = this.active.indexOf(job);
    if (i !== -1) this.active.splice(i, 1);
  }

  private finish(job: Job): void {
    job.session.releaseCache();
    job.events.close();
    job.resolve(job.session.result(this.options.detokenize));
  }

  private fail(job: Job, error: unknown): void {
    job.session.releaseCache();
    job.events.fail(error);
    job.reject(error);
  }
}

function abortError(signal: AbortSignal): UnmaskError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new UnmaskError('aborted', `the request was cancelled${reason}`, undefined, { cause: signal.reason });
}

/** Decodes one request on its own and returns its result (a convenience over the engine). */
export async function decode(
  model: LanguageModel,
  request: GenerateRequest,
  options: EngineOptions = {},
): Promise<DecodeResult> {
  return new DecodingEngine(model, options).generate(request).result;
}

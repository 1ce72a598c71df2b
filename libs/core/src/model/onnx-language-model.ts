/**
 * `LanguageModel` over the two graphs of the LM graph contract (docs/lm-graph-contract.md),
 * both loaded in one worker of an `OnnxWorkerPool`. A forward pass embeds the rows' token ids,
 * splices image/audio features, pads rows of different segment and cache lengths into one
 * batch and runs the LM graph; KV caches stay in the worker and the engine holds opaque
 * `KvCache` handles.
 *
 * The LM graph's keys/values (`present.*` outputs) are only needed by a pass that keeps a cache,
 * yet onnxruntime holds every graph output of a run until it ends, fetched or not (at LLaDA-8B
 * width and 1,024 positions, 1 GiB over 32 layers). So by default the LM graph is loaded without
 * them; the first pass that keeps a cache loads it again with them (once, a load's time) and
 * releases the first session (`keyValueOutputs: 'always'` loads them from the start).
 */
import { UnmaskError } from '../errors.js';
import type { OnnxSession } from '../runtime/onnx-session.js';
import type { SessionOptions } from '../runtime/session-options.js';
import type { OnnxWorkerPool } from '../runtime/worker-pool.js';
import { presentNames } from '../runtime/lm-batch.js';
import type { LmShape, ReplyOf, WireLmRow, WorkerChannel } from '../runtime/worker-protocol.js';
import {
  type ForwardRow,
  type ForwardRowResult,
  inputVocabSize,
  type KvCache,
  type LanguageModel,
  type ModelInfo,
} from './language-model.js';

/** Architecture sizes the runtime needs beyond `ModelInfo`. */
export interface LmGeometry {
  readonly numLayers: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  /** The graph takes M-RoPE position ids [3, batch, seq]. Default false. */
  readonly mrope?: boolean;
}

export interface OnnxLanguageModelOptions {
  readonly pool: OnnxWorkerPool;
  /** Path of `embed.onnx`. */
  readonly embedGraph: string;
  /** Path of `lm.onnx`. */
  readonly lmGraph: string;
  readonly info: ModelInfo;
  readonly geometry: LmGeometry;
  readonly sessionOptions?: SessionOptions;
  /** Worker to load both graphs into (default: the least loaded). */
  readonly worker?: number;
  /**
   * When the LM graph's key/value outputs are loaded: `on-demand` (default) at the first pass
   * that keeps a cache, `always` from the start (a server whose requests use caches).
   */
  readonly keyValueOutputs?: KeyValueOutputs;
}

export type KeyValueOutputs = 'on-demand' | 'always';

interface CacheHandleState {
  readonly channel: WorkerChannel;
  readonly worker: number;
  readonly id: number;
  readonly generation: number;
}

function releaseInWorker(state: CacheHandleState): void {
  if (state.channel.generation(state.worker) !== state.generation) return; // died with its worker
  state.channel.call(state.worker, 'release-caches', { cacheIds: [state.id] }).catch(() => {});
}

/** Caches the engine drops without releasing are freed when garbage-collected. */
const leaked = new FinalizationRegistry<CacheHandleState>(releaseInWorker);

/** Handle of keys/values held by the worker. */
export class OnnxKvCache implements KvCache {
  private released = false;

  constructor(
    readonly model: OnnxLanguageModel,
    private readonly state: CacheHandleState,
    readonly length: number,
  ) {
    leaked.register(this, state, this);
  }

  /** float32 keys and values of every layer: 2 · layers · key/value heads · head dim · 4 bytes per position. */
  get bytes(): number {
    const { numLayers, numKeyValueHeads, headDim } = this.model.geometry;
    return this.length * 2 * numLayers * numKeyValueHeads * headDim * 4;
  }

  get id(): number {
    return this.state.id;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** The worker-side id, after checking that the cache can still be used. */
  use(): number {
    if (this.released)
      throw new UnmaskError(
        'invalid_parameter',
        `KV cache #${this.state.id} was released and cannot be used again`,
        'past',
      );
    if (this.state.channel.generation(this.state.worker) !== this.state.generation) {
      throw new UnmaskError(
        'runtime_error',
        `KV cache #${this.state.id} was lost: the ONNX worker holding it crashed`,
        'past',
      );
    }
    return this.state.id;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    leaked.unregister(this);
    releaseInWorker(this.state);
  }
}

export class OnnxLanguageModel implements LanguageModel {
  private closed = false;
  /** Forwards running on each LM session (a replaced one is released when its count is 0). */
  private readonly running = new Map<OnnxSession, number>();
  private withKeyValues: Promise<OnnxSession> | undefined;

  private constructor(
    readonly info: ModelInfo,
    readonly geometry: LmGeometry,
    readonly embedSession: OnnxSession,
    private lm: OnnxSession,
    private readonly options: OnnxLanguageModelOptions,
  ) {}

  static async create(options: OnnxLanguageModelOptions): Promise<OnnxLanguageModel> {
    const { pool, sessionOptions = {} } = options;
    const lm = await pool.createSession(options.lmGraph, {
      ...sessionOptions,
      ...(options.worker === undefined ? {} : { worker: options.worker }),
      ...(options.keyValueOutputs === 'always' ? {} : { dropOutputs: presentNames(options.geometry.numLayers) }),
    });
    const embed = await pool.createSession(options.embedGraph, { ...sessionOptions, worker: lm.workerIndex });
    return new OnnxLanguageModel(options.info, options.geometry, embed, lm, options);
  }

  /** The LM graph's session (loaded without its key/value outputs until a pass keeps a cache). */
  get lmSession(): OnnxSession {
    return this.lm;
  }

  /** Whether the LM session has the key/value outputs a pass that keeps a cache needs. */
  get hasKeyValueOutputs(): boolean {
    return this.lm.dropped.length === 0;
  }

  /** The LM graph loaded again with its key/value outputs, in the same worker (the caches live there). */
  private loadKeyValueOutputs(): Promise<OnnxSession> {
    this.withKeyValues ??= (async () => {
      const { pool, sessionOptions = {} } = this.options;
      const full = await pool.createSession(this.options.lmGraph, { ...sessionOptions, worker: this.workerIndex });
      const old = this.lm;
      this.lm = full;
      if (!this.running.get(old)) await old.release();
      return full;
    })();
    return this.withKeyValues;
  }

  get channel(): WorkerChannel {
    return this.lmSession.channel;
  }

  get workerIndex(): number {
    return this.lmSession.workerIndex;
  }

  async forward(rows: readonly ForwardRow[]): Promise<ForwardRowResult[]> {
    if (this.closed) throw new UnmaskError('runtime_error', 'the language model was closed');
    if (rows.length === 0) return [];
    const wire = rows.map((row, r) => this.toWire(row, r));
    const shape: LmShape = {
      ...this.geometry,
      mrope: this.geometry.mrope ?? false,
      hiddenSize: this.info.hiddenSize,
      vocabSize: this.info.vocabSize,
      padTokenId: this.info.padTokenId,
    };
    const lm = wire.some((row) => row.keep) && !this.hasKeyValueOutputs ? await this.loadKeyValueOutputs() : this.lm;
    const generation = this.channel.generation(this.workerIndex);
    // The wire arrays are fresh copies made by toWire, so they can move instead of being cloned.
    const transfer = wire.flatMap((row) => [
      row.inputIds.buffer,
      row.positionIds.buffer,
      row.logitsIndices.buffer,
      ...row.embeddings.map((e) => e.data.buffer),
    ]) as ArrayBuffer[];
    this.running.set(lm, (this.running.get(lm) ?? 0) + 1);
    let results: ReplyOf<'lm-forward'>;
    try {
      results = await this.channel.call(
        this.workerIndex,
        'lm-forward',
        { embedSessionId: this.embedSession.sessionId, lmSessionId: lm.sessionId, shape, rows: wire },
        transfer,
      );
    } finally {
      const left = (this.running.get(lm) ?? 1) - 1;
      if (left > 0) this.running.set(lm, left);
      else {
        this.running.delete(lm);
        if (lm !== this.lm) await lm.release().catch(() => {});
      }
    }
    return results.map((result) => ({
      logits: result.logits,
      ...(result.cache
        ? {
            cache: new OnnxKvCache(
              this,
              { channel: this.channel, worker: this.workerIndex, id: result.cache.id, generation },
              result.cache.length,
            ),
          }
        : {}),
    }));
  }

  /** Frees both sessions (caches die with them only when released or collected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const loading = this.withKeyValues?.catch(() => undefined);
    await Promise.allSettled([this.embedSession.release(), this.lm.release(), loading?.then((s) => s?.release())]);
  }

  private toWire(row: ForwardRow, r: number): WireLmRow {
    const where = `rows[${r}]`;
    const fail = (field: string, message: string): never => {
      throw new UnmaskError('invalid_parameter', `${where}.${field}: ${message}`, field);
    };
    const { hiddenSize, maxPositions } = this.info;
    const vocabSize = inputVocabSize(this.info);
    const seq = row.inputIds.length;
    if (seq === 0) fail('inputIds', 'the segment is empty');
    if (row.positionIds.length !== seq)
      fail('positionIds', `has ${row.positionIds.length} entries for ${seq} input ids`);
    const inputIds = Int32Array.from(row.inputIds);
    inputIds.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
        fail('inputIds', `token id ${row.inputIds[t]} at offset ${t} is outside the vocabulary [0, ${vocabSize})`);
    });
    let positionIds = Int32Array.from(row.positionIds);
    if (row.mropePositionIds !== undefined) {
      if (!this.geometry.mrope)
        fail('mropePositionIds', 'the model does not use M-RoPE (bundle lm.position_ids is "1d")');
      if (row.mropePositionIds.length !== 3 * seq)
        fail('mropePositionIds', `has ${row.mropePositionIds.length} entries, expected 3 × ${seq}`);
      positionIds = Int32Array.from(row.mropePositionIds);
    } else if (this.geometry.mrope) {
      positionIds = Int32Array.from({ length: 3 * seq }, (_, i) => positionIds[i % seq]!);
    }
    positionIds.forEach((position, t) => {
      if (position < 0) fail('positionIds', `position ${position} at offset ${t} is negative`);
      if (position >= maxPositions) {
        throw new UnmaskError(
          'context_length_exceeded',
          `${where}.positionIds: position ${position} is beyond the model's ${maxPositions} positions`,
          'positionIds',
        );
      }
    });
    const logitsIndices = Int32Array.from(row.logitsIndices);
    logitsIndices.forEach((index) => {
      if (!Number.isInteger(index) || index < 0 || index >= seq)
        fail('logitsIndices', `index ${index} is outside the segment [0, ${seq})`);
    });
    const embeddings = (row.embeddings ?? []).map((splice, i) => {
      if (
        !Number.isInteger(splice.offset) ||
        !Number.isInteger(splice.count) ||
        splice.offset < 0 ||
        splice.count < 0 ||
        splice.offset + splice.count > seq
      ) {
        fail(
          `embeddings[${i}]`,
          `offset ${splice.offset} + count ${splice.count} runs outside the segment of ${seq} positions`,
        );
      }
      if (splice.data.length !== splice.count * hiddenSize) {
        fail(
          `embeddings[${i}].data`,
          `has ${splice.data.length} floats, expected count × hidden = ${splice.count} × ${hiddenSize}`,
        );
      }
      return { offset: splice.offset, count: splice.count, data: Float32Array.from(splice.data) };
    });
    let pastLength = 0;
    let pastCacheId: number | undefined;
    if (row.past) {
      if (!(row.past instanceof OnnxKvCache) || row.past.model !== this)
        fail('past', 'the KV cache does not come from this model');
      const past = row.past as OnnxKvCache;
      pastCacheId = past.use();
      pastLength = past.length;
    }
    let keep: (readonly [number, number])[] | undefined;
    if (row.keep) {
      const total = pastLength + seq;
      keep = row.keep.map(([start, end], i) => {
        if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > total) {
          fail(`keep[${i}]`, `range [${start}, ${end}) is not within past ++ segment [0, ${total})`);
        }
        return [start, end] as const;
      });
    }
    return {
      inputIds,
      positionIds,
      embeddings,
      logitsIndices,
      ...(pastCacheId === undefined ? {} : { pastCacheId }),
      ...(keep ? { keep } : {}),
    };
  }
}

/**
 * Messages between the worker pool (main thread) and an ONNX worker, one request and one reply
 * type per kind (`WorkerCalls`). Every request carries an `id`; the worker answers each with a
 * `WorkerReply` of the same id. The worker handles requests one at a time, in arrival order.
 * `WorkerChannel` is all a session or a model needs of the pool: typed calls to one worker.
 */
import type { UnmaskErrorCode } from '../errors.js';
import type { GraphIO, TensorData } from './graph-runner.js';
import type { SessionOptions } from './session-options.js';

/** One row of a batched LM forward as it crosses to the worker. */
export interface WireLmRow {
  readonly inputIds: Int32Array;
  /** `seq` positions, or `3 × seq` (row-major [3, seq]) when `LmShape.mrope`. */
  readonly positionIds: Int32Array;
  readonly embeddings: readonly { offset: number; count: number; data: Float32Array }[];
  /** Worker-side id of the cache the row attends to. */
  readonly pastCacheId?: number;
  readonly logitsIndices: Int32Array;
  readonly keep?: readonly (readonly [number, number])[];
}

export interface LmShape {
  readonly numLayers: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly padTokenId: number;
  /** position_ids is [3, batch, seq] (M-RoPE) instead of [batch, seq]. */
  readonly mrope: boolean;
}

/** One graph of a chain run inside a worker (see graph-chain.ts). */
export interface WireChainLink {
  readonly sessionId: number;
  readonly feeds: Record<string, TensorData>;
  /** Inputs fed from the previous link's outputs: input name → output name. */
  readonly from?: Readonly<Record<string, string>>;
  readonly outputNames: readonly string[];
  /** Names the graph in errors (e.g. "projector"). */
  readonly label: string;
}

export interface SessionInfo {
  readonly inputs: readonly GraphIO[];
  readonly outputs: readonly GraphIO[];
  /** Graph outputs the session was loaded without (`dropOutputs`), as the file declares them. */
  readonly dropped: readonly GraphIO[];
}

export interface LmRowResult {
  readonly logits: Float32Array;
  readonly cache?: { id: number; length: number };
}

export interface WorkerStats {
  readonly sessions: number;
  readonly caches: number;
  /** Bytes held by KV caches. */
  readonly cacheBytes: number;
}

/** Each kind of request: what it sends (`id` and `kind` aside) and what its reply carries. */
export interface WorkerCalls {
  /** Loads a graph; `dropOutputs` names graph outputs to load it without (graph-outputs.ts). */
  create: {
    request: { sessionId: number; path: string; options: SessionOptions; dropOutputs?: readonly string[] };
    reply: SessionInfo;
  };
  run: {
    request: { sessionId: number; feeds: Record<string, TensorData>; outputNames?: readonly string[] };
    reply: Record<string, TensorData>;
  };
  /** Several graphs of this worker in order, each fed from the one before; the last one's outputs. */
  'run-chain': { request: { links: readonly WireChainLink[] }; reply: Record<string, TensorData> };
  'release-session': { request: { sessionId: number }; reply: null };
  'lm-forward': {
    request: { embedSessionId: number; lmSessionId: number; shape: LmShape; rows: readonly WireLmRow[] };
    reply: LmRowResult[];
  };
  'release-caches': { request: { cacheIds: readonly number[] }; reply: null };
  stats: { request: Record<string, never>; reply: WorkerStats };
  /** Test hook: throw an uncaught exception inside the worker, as a crash would. Never answered. */
  crash: { request: Record<string, never>; reply: never };
}

export type WorkerKind = keyof WorkerCalls;
export type RequestOf<K extends WorkerKind> = WorkerCalls[K]['request'];
export type ReplyOf<K extends WorkerKind> = WorkerCalls[K]['reply'];

export type WorkerRequest = { [K in WorkerKind]: { kind: K; id: number } & RequestOf<K> }[WorkerKind];

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: UnmaskErrorCode; message: string; param?: string } };

/** Typed calls to the workers of a pool, by worker index. */
export interface WorkerChannel {
  call<K extends WorkerKind>(
    worker: number,
    kind: K,
    body: RequestOf<K>,
    transfer?: readonly ArrayBuffer[],
  ): Promise<ReplyOf<K>>;
  /** Bumped each time the worker is replaced after a crash (state it held is gone). */
  generation(worker: number): number;
  /** The session was released: the worker need not reload it after a crash. */
  forgetSession(worker: number, sessionId: number): void;
}

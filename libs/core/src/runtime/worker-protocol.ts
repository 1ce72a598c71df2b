/**
 * Messages between the worker pool (main thread) and an ONNX worker. Every request carries an
 * `id`; the worker answers each with a `WorkerReply` of the same id. The worker handles
 * requests one at a time, in arrival order.
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

export type WorkerRequest =
  | { kind: 'create'; id: number; sessionId: number; path: string; options: SessionOptions }
  | { kind: 'run'; id: number; sessionId: number; feeds: Record<string, TensorData>; outputNames?: readonly string[] }
  | { kind: 'release-session'; id: number; sessionId: number }
  | {
      kind: 'lm-forward';
      id: number;
      embedSessionId: number;
      lmSessionId: number;
      shape: LmShape;
      rows: readonly WireLmRow[];
    }
  | { kind: 'release-caches'; id: number; cacheIds: readonly number[] }
  | { kind: 'stats'; id: number }
  /** Test hook: throw an uncaught exception inside the worker, as a crash would. */
  | { kind: 'crash'; id: number };

export interface SessionInfo {
  readonly inputs: readonly GraphIO[];
  readonly outputs: readonly GraphIO[];
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

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: UnmaskErrorCode; message: string; param?: string } };

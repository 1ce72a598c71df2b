/**
 * The body of an ONNX worker thread: owns onnxruntime sessions and the KV caches of language
 * models, and answers `WorkerRequest`s one at a time (see worker-protocol.ts). Started by
 * `OnnxWorkerPool` through worker-bootstrap.mjs.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { UnmaskError, isUnmaskError } from '../errors.js';
import {
  type CacheEntry,
  batchGeometry,
  cacheBytes,
  embedFeed,
  keptCache,
  lmFeeds,
  presentNames,
  rowLogits,
  spliceEmbeddings,
} from './lm-batch.js';
import { feedsOfLink } from './graph-chain.js';
import { withoutGraphOutputs } from './graph-outputs.js';
import type { GraphIO, TensorData } from './graph-runner.js';
import { toOrtSessionOptions } from './session-options.js';
import { fromOrtTensor, isTensorElementType, ownedForTransfer, toOrtTensor } from './tensor-convert.js';
import type {
  LmRowResult,
  ReplyOf,
  RequestOf,
  WorkerKind,
  WorkerReply,
  WorkerRequest,
  WorkerStats,
} from './worker-protocol.js';

interface LoadedSession {
  readonly path: string;
  readonly session: InferenceSession;
  readonly inputs: readonly GraphIO[];
}

const port = parentPort;
if (!port) throw new Error('onnx-worker.ts must run in a worker thread');

const sessions = new Map<number, LoadedSession>();
const caches = new Map<number, CacheEntry>();
let nextCacheId = 1;

function describe(metadata: readonly InferenceSession.ValueMetadata[], path: string): GraphIO[] {
  return metadata.map((value) => {
    if (!value.isTensor) throw new UnmaskError('invalid_bundle', `${path}: "${value.name}" is not a tensor`, path);
    if (!isTensorElementType(value.type)) {
      throw new UnmaskError(
        'invalid_bundle',
        `${path}: "${value.name}" has element type ${value.type}, which the runtime does not support`,
        path,
      );
    }
    return { name: value.name, type: value.type, dims: [...value.shape] };
  });
}

function sessionOf(sessionId: number): LoadedSession {
  const loaded = sessions.get(sessionId);
  if (!loaded) throw new UnmaskError('runtime_error', `ONNX session #${sessionId} is not loaded in this worker`);
  return loaded;
}

async function run(
  loaded: LoadedSession,
  feeds: Record<string, TensorData>,
  outputNames?: readonly string[],
): Promise<Record<string, TensorData>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(name, tensor);
  let outputs: InferenceSession.OnnxValueMapType;
  try {
    outputs = outputNames ? await loaded.session.run(ortFeeds, [...outputNames]) : await loaded.session.run(ortFeeds);
  } catch (error) {
    throw new UnmaskError(
      'runtime_error',
      `${loaded.path}: onnxruntime failed: ${(error as Error).message}`,
      loaded.path,
      { cause: error },
    );
  }
  const result: Record<string, TensorData> = {};
  for (const [name, value] of Object.entries(outputs)) result[name] = fromOrtTensor(name, value as ort.Tensor);
  return result;
}

function cacheOf(id: number): CacheEntry {
  const entry = caches.get(id);
  if (!entry) throw new UnmaskError('runtime_error', `KV cache #${id} is not held by this worker (released?)`);
  return entry;
}

async function lmForward(request: RequestOf<'lm-forward'>): Promise<Handled<'lm-forward'>> {
  const { rows, shape } = request;
  const pasts = rows.map((row) => (row.pastCacheId === undefined ? undefined : cacheOf(row.pastCacheId)));
  const geometry = batchGeometry(rows, pasts);
  const embedded = await run(sessionOf(request.embedSessionId), { input_ids: embedFeed(rows, geometry, shape) }, [
    'inputs_embeds',
  ]);
  const embeds = embedded.inputs_embeds!;
  spliceEmbeddings(embeds.data as Float32Array, rows, geometry, shape.hiddenSize);
  const keeping = rows.some((row) => row.keep !== undefined);
  const outputs = await run(
    sessionOf(request.lmSessionId),
    { inputs_embeds: embeds, ...lmFeeds(rows, pasts, geometry, shape) },
    keeping ? ['logits', ...presentNames(shape.numLayers)] : ['logits'],
  );
  const logits = rowLogits(outputs.logits!.data as Float32Array, rows, geometry, shape.vocabSize);
  const result = rows.map((row, r): LmRowResult => {
    if (!row.keep) return { logits: logits[r]! };
    const entry = keptCache(outputs, r, pasts[r]?.length ?? 0, row.keep, geometry, shape);
    const id = nextCacheId++;
    caches.set(id, entry);
    return { logits: logits[r]!, cache: { id, length: entry.length } };
  });
  return { result, transfer: logits.map((array) => array.buffer as ArrayBuffer) };
}

interface Handled<K extends WorkerKind> {
  readonly result: ReplyOf<K>;
  readonly transfer?: ArrayBuffer[];
}

/** One handler per request kind, each answering with that kind's reply (worker-protocol.ts). */
const handlers: { [K in WorkerKind]: (request: RequestOf<K>) => Promise<Handled<K>> } = {
  async create(request) {
    let session: InferenceSession;
    let dropped: GraphIO[] = [];
    try {
      const options: InferenceSession.SessionOptions = { logSeverityLevel: 3, ...toOrtSessionOptions(request.options) };
      if (request.dropOutputs?.length) {
        // From bytes: external data is found beside the file, as when loading the file by path.
        const stripped = withoutGraphOutputs(readFileSync(request.path), new Set(request.dropOutputs));
        dropped = stripped.dropped;
        const extra = (options.extra ?? {}) as { session?: Record<string, unknown> };
        session = await ort.InferenceSession.create(stripped.model, {
          ...options,
          extra: {
            ...extra,
            session: { ...extra.session, model_external_initializers_file_folder_path: dirname(request.path) },
          },
        });
      } else {
        session = await ort.InferenceSession.create(request.path, options);
      }
    } catch (error) {
      if (isUnmaskError(error)) throw new UnmaskError(error.code, `${request.path}: ${error.message}`, request.path);
      throw new UnmaskError(
        'invalid_bundle',
        `${request.path}: onnxruntime cannot load the graph: ${(error as Error).message}`,
        request.path,
        { cause: error },
      );
    }
    const inputs = describe(session.inputMetadata, request.path);
    sessions.set(request.sessionId, { path: request.path, session, inputs });
    return { result: { inputs, outputs: describe(session.outputMetadata, request.path), dropped } };
  },
  async run(request) {
    const outputs = await run(sessionOf(request.sessionId), request.feeds, request.outputNames);
    const { tensors, transfer } = ownedForTransfer(outputs);
    return { result: tensors, transfer };
  },
  async 'run-chain'(request) {
    let previous: Record<string, TensorData> = {};
    for (const link of request.links) {
      const loaded = sessionOf(link.sessionId);
      previous = await run(loaded, feedsOfLink(link, loaded.inputs, previous), link.outputNames);
    }
    const { tensors, transfer } = ownedForTransfer(previous);
    return { result: tensors, transfer };
  },
  async 'release-session'(request) {
    const loaded = sessions.get(request.sessionId);
    sessions.delete(request.sessionId);
    await loaded?.session.release();
    return { result: null };
  },
  'lm-forward': lmForward,
  async 'release-caches'(request) {
    for (const id of request.cacheIds) caches.delete(id);
    return { result: null };
  },
  async stats() {
    let bytes = 0;
    for (const entry of caches.values()) bytes += cacheBytes(entry);
    const stats: WorkerStats = { sessions: sessions.size, caches: caches.size, cacheBytes: bytes };
    return { result: stats };
  },
  crash() {
    // Never answers: the worker dies with this request (and any queued behind it) in flight.
    return new Promise(() => {
      setImmediate(() => {
        throw new Error('simulated crash of the ONNX worker');
      });
    });
  },
};

function handle(request: WorkerRequest): Promise<Handled<WorkerKind>> {
  // TypeScript cannot tie `request.kind` to its handler's parameter; the map above is typed per kind.
  const handler = handlers[request.kind] as (request: WorkerRequest) => Promise<Handled<WorkerKind>>;
  return handler(request);
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const handled = await handle(request);
      reply = { id: request.id, ok: true, result: handled.result };
      transfer = handled.transfer ?? [];
    } catch (error) {
      reply = isUnmaskError(error)
        ? {
            id: request.id,
            ok: false,
            error: {
              code: error.code,
              message: error.message,
              ...(error.param === undefined ? {} : { param: error.param }),
            },
          }
        : {
            id: request.id,
            ok: false,
            error: { code: 'runtime_error', message: (error as Error)?.message ?? String(error) },
          };
    }
    port.postMessage(reply, transfer);
  });
});

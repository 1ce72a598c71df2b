/**
 * Pure tensor plumbing of a batched LM forward (see docs/lm-graph-contract.md): padding rows of
 * different segment and cache lengths into one batch, and cutting the graph's outputs back into
 * per-row logits and per-row KV caches. Runs inside the ONNX worker; no onnxruntime here.
 *
 * Batch layout: with P = the longest cache and S = the longest segment, row r (cache length
 * P_r, segment length S_r) occupies keys [0, P_r) and [P, P + S_r) of the P + S keys; every
 * other key is padding (attention_mask 0). Padded queries compute garbage nobody reads.
 */
import type { TensorData } from './graph-runner.js';
import type { LmShape, WireLmRow } from './worker-protocol.js';

/** Keys/values of `length` positions, one array per layer, each `[kvHeads, length, headDim]`. */
export interface CacheEntry {
  readonly length: number;
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
}

export function cacheBytes(entry: CacheEntry): number {
  let bytes = 0;
  for (const array of [...entry.keys, ...entry.values]) bytes += array.byteLength;
  return bytes;
}

export interface BatchGeometry {
  readonly batch: number;
  /** Longest segment. */
  readonly seq: number;
  /** Longest cache. */
  readonly past: number;
  /** Most logits indices of any row. */
  readonly n: number;
}

export function batchGeometry(rows: readonly WireLmRow[], pasts: readonly (CacheEntry | undefined)[]): BatchGeometry {
  let seq = 0;
  let past = 0;
  let n = 0;
  rows.forEach((row, r) => {
    seq = Math.max(seq, row.inputIds.length);
    past = Math.max(past, pasts[r]?.length ?? 0);
    n = Math.max(n, row.logitsIndices.length);
  });
  return { batch: rows.length, seq, past, n };
}

/** `input_ids` of the embed graph: segments padded with the pad token. */
export function embedFeed(rows: readonly WireLmRow[], geometry: BatchGeometry, shape: LmShape): TensorData {
  const { batch, seq } = geometry;
  const data = new BigInt64Array(batch * seq).fill(BigInt(shape.padTokenId));
  rows.forEach((row, r) => {
    for (let t = 0; t < row.inputIds.length; t++) data[r * seq + t] = BigInt(row.inputIds[t]!);
  });
  return { type: 'int64', dims: [batch, seq], data };
}

/** Writes each row's spliced features over its token embeddings (`embeds` is `[batch, seq, hidden]`). */
export function spliceEmbeddings(
  embeds: Float32Array,
  rows: readonly WireLmRow[],
  geometry: BatchGeometry,
  hidden: number,
): void {
  rows.forEach((row, r) => {
    for (const splice of row.embeddings)
      embeds.set(splice.data.subarray(0, splice.count * hidden), (r * geometry.seq + splice.offset) * hidden);
  });
}

/** Feeds of the LM graph other than `inputs_embeds`. */
export function lmFeeds(
  rows: readonly WireLmRow[],
  pasts: readonly (CacheEntry | undefined)[],
  geometry: BatchGeometry,
  shape: LmShape,
): Record<string, TensorData> {
  const { batch, seq, past, n } = geometry;
  const total = past + seq;
  const mask = new BigInt64Array(batch * total);
  const components = shape.mrope ? 3 : 1;
  const positions = new BigInt64Array(components * batch * seq);
  const indices = new BigInt64Array(batch * n);
  rows.forEach((row, r) => {
    const pastLength = pasts[r]?.length ?? 0;
    mask.fill(1n, r * total, r * total + pastLength);
    mask.fill(1n, r * total + past, r * total + past + row.inputIds.length);
    const length = row.inputIds.length;
    for (let c = 0; c < components; c++) {
      for (let t = 0; t < length; t++) positions[(c * batch + r) * seq + t] = BigInt(row.positionIds[c * length + t]!);
    }
    for (let i = 0; i < row.logitsIndices.length; i++) indices[r * n + i] = BigInt(row.logitsIndices[i]!);
  });
  const feeds: Record<string, TensorData> = {
    attention_mask: { type: 'int64', dims: [batch, total], data: mask },
    position_ids: { type: 'int64', dims: shape.mrope ? [3, batch, seq] : [batch, seq], data: positions },
    logits_indices: { type: 'int64', dims: [batch, n], data: indices },
  };
  const { numKeyValueHeads: heads, headDim } = shape;
  // A single row whose cache fills the past axis already has the graph's layout: no copy.
  const direct = batch === 1 && pasts[0] !== undefined && pasts[0].length === past;
  for (let layer = 0; layer < shape.numLayers; layer++) {
    for (const part of ['key', 'value'] as const) {
      if (direct) {
        const entry = pasts[0]!;
        feeds[`past_key_values.${layer}.${part}`] = {
          type: 'float32',
          dims: [1, heads, past, headDim],
          data: (part === 'key' ? entry.keys : entry.values)[layer]!,
        };
        continue;
      }
      const data = new Float32Array(batch * heads * past * headDim);
      pasts.forEach((entry, r) => {
        if (!entry || entry.length === 0) return;
        const source = (part === 'key' ? entry.keys : entry.values)[layer]!;
        const rowBlock = entry.length * headDim;
        for (let h = 0; h < heads; h++) {
          data.set(source.subarray(h * rowBlock, (h + 1) * rowBlock), (r * heads + h) * past * headDim);
        }
      });
      feeds[`past_key_values.${layer}.${part}`] = { type: 'float32', dims: [batch, heads, past, headDim], data };
    }
  }
  return feeds;
}

/** Row r's logits (`logitsIndices.length × vocab`) cut out of `[batch, n, vocab]`, each in its own buffer. */
export function rowLogits(
  logits: Float32Array,
  rows: readonly WireLmRow[],
  geometry: BatchGeometry,
  vocab: number,
): Float32Array[] {
  return rows.map((row, r) =>
    logits.slice(r * geometry.n * vocab, (r * geometry.n + row.logitsIndices.length) * vocab),
  );
}

/**
 * The new cache of row r: the `keep` ranges of `past_r ++ segment_r`, gathered from the graph's
 * `present.{i}.key/value` outputs (`[batch, kvHeads, past + seq, headDim]`).
 */
export function keptCache(
  presents: Readonly<Record<string, TensorData>>,
  r: number,
  pastLength: number,
  keep: readonly (readonly [number, number])[],
  geometry: BatchGeometry,
  shape: LmShape,
): CacheEntry {
  const { numKeyValueHeads: heads, headDim } = shape;
  const total = geometry.past + geometry.seq;
  // Runs of consecutive present positions, so each run is one copy per head.
  const runs: { from: number; length: number }[] = [];
  let length = 0;
  for (const [start, end] of keep) {
    for (let i = start; i < end; i++) {
      const from = i < pastLength ? i : geometry.past + (i - pastLength);
      const last = runs.at(-1);
      if (last && last.from + last.length === from) last.length++;
      else runs.push({ from, length: 1 });
      length++;
    }
  }
  const gather = (name: string): Float32Array => {
    const present = presents[name]!.data as Float32Array;
    const out = new Float32Array(heads * length * headDim);
    for (let h = 0; h < heads; h++) {
      const base = (r * heads + h) * total;
      let to = h * length * headDim;
      for (const run of runs) {
        const from = (base + run.from) * headDim;
        out.set(present.subarray(from, from + run.length * headDim), to);
        to += run.length * headDim;
      }
    }
    return out;
  };
  const keys: Float32Array[] = [];
  const values: Float32Array[] = [];
  for (let layer = 0; layer < shape.numLayers; layer++) {
    keys.push(gather(`present.${layer}.key`));
    values.push(gather(`present.${layer}.value`));
  }
  return { length, keys, values };
}

export function presentNames(numLayers: number): string[] {
  const names: string[] = [];
  for (let layer = 0; layer < numLayers; layer++) names.push(`present.${layer}.key`, `present.${layer}.value`);
  return names;
}

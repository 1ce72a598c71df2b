/**
 * Keys/values of shared prompt prefixes (an image's rows, a system prompt, a long document) kept
 * across requests: a least-recently-used map from a prefix's content to its cache, bounded in
 * bytes. The caches themselves stay where the model keeps them (the ONNX worker); this holds
 * their handles. A prefix's keys/values are computed attending to the prefix only, so they do
 * not depend on what follows it and any request that starts with the same tokens (and the same
 * spliced features at the same positions) can attend to them (the idea of SGLang's radix cache,
 * exact for causal models). In a bidirectional model this is a rule of its own, not Dimple's
 * prefilling (whose prompt attends to the whole sequence at its first step): exact to the rule
 * (prefix-cache-reference.test.ts), but far from the uncached answers of a trained model
 * (docs/decoding.md), hence off unless given a budget.
 *
 * Entries in use by a decoding request are pinned (reference-counted) and never evicted; when
 * only pinned entries remain the cache may exceed its budget until they are released.
 */
import { createHash } from 'node:crypto';
import type { KvCache, SplicedEmbeddings } from '../model/language-model.js';

export interface PrefixCacheStats {
  /** Lookups that found the prefix. */
  readonly hits: number;
  /** Lookups that had to compute it. */
  readonly misses: number;
  /** Entries dropped to stay within the budget. */
  readonly evictions: number;
  readonly entries: number;
  /** Bytes of the cached keys/values. */
  readonly bytes: number;
  readonly capacityBytes: number;
}

interface Entry {
  readonly cache: KvCache;
  readonly bytes: number;
  pins: number;
}

/** A content key for the first `length` prompt positions: token ids, spliced features, M-RoPE positions. */
export function prefixKey(
  promptIds: ArrayLike<number>,
  length: number,
  embeddings: readonly SplicedEmbeddings[],
  mropePositions?: ArrayLike<number>,
): string {
  const hash = createHash('sha256');
  hash.update(Int32Array.from({ length }, (_, i) => promptIds[i]!));
  for (const e of embeddings) {
    const from = Math.max(0, e.offset);
    const to = Math.min(length, e.offset + e.count);
    if (from >= to) continue;
    const width = e.data.length / e.count;
    hash.update(Int32Array.of(-1, from, to));
    const part = e.data.subarray((from - e.offset) * width, (to - e.offset) * width);
    hash.update(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
  }
  if (mropePositions) {
    const total = mropePositions.length / 3;
    const rows = Int32Array.from(
      { length: 3 * length },
      (_, i) => mropePositions[Math.floor(i / length) * total + (i % length)]!,
    );
    hash.update(Int32Array.of(-2));
    hash.update(rows);
  }
  return `${length}:${hash.digest('hex')}`;
}

export class PrefixCache {
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  private hitCount = 0;
  private missCount = 0;
  private evicted = 0;

  /** @param capacityBytes the most bytes of keys/values kept (entries in use excepted). */
  constructor(readonly capacityBytes: number) {
    if (!Number.isFinite(capacityBytes) || capacityBytes < 0)
      throw new RangeError(`capacityBytes must be a non-negative number, got ${capacityBytes}`);
  }

  /** The cache of `key`, pinned for the caller (call `unpin` when done), or undefined (a miss). */
  acquire(key: string): KvCache | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    this.entries.delete(key);
    this.entries.set(key, entry); // most recently used last
    entry.pins++;
    return entry.cache;
  }

  /**
   * Adds a freshly computed prefix, pinned for the caller, and evicts the least recently used
   * unpinned entries beyond the budget. A prefix larger than the whole budget is not kept: it is
   * returned pinned all the same and released when unpinned.
   */
  insert(key: string, cache: KvCache): KvCache {
    const existing = this.entries.get(key);
    if (existing) {
      // Computed twice concurrently: keep the first, free the second.
      cache.release();
      existing.pins++;
      return existing.cache;
    }
    const bytes = cache.bytes ?? 0;
    this.entries.set(key, { cache, bytes, pins: 1 });
    this.used += bytes;
    this.evict();
    return cache;
  }

  /** Ends one use of a cache from `acquire` or `insert`. */
  unpin(cache: KvCache): void {
    for (const [key, entry] of this.entries) {
      if (entry.cache !== cache) continue;
      entry.pins = Math.max(0, entry.pins - 1);
      if (entry.pins === 0 && entry.bytes > this.capacityBytes) this.drop(key, entry);
      this.evict();
      return;
    }
  }

  stats(): PrefixCacheStats {
    return {
      hits: this.hitCount,
      misses: this.missCount,
      evictions: this.evicted,
      entries: this.entries.size,
      bytes: this.used,
      capacityBytes: this.capacityBytes,
    };
  }

  /** Releases every unpinned entry (pinned ones go when unpinned). */
  clear(): void {
    for (const [key, entry] of [...this.entries]) if (entry.pins === 0) this.drop(key, entry);
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.used <= this.capacityBytes) return;
      if (entry.pins > 0) continue;
      this.drop(key, entry);
      this.evicted++;
    }
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.used -= entry.bytes;
    entry.cache.release();
  }
}

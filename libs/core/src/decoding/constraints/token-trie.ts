/**
 * A vocabulary's token surfaces sorted byte-wise, walked as an implicit trie: the tokens below
 * a prefix are a contiguous range of the sorted order, so a walk through an automaton visits
 * each shared prefix once and reports, for every state a token can end in, the ranges of
 * tokens that end there. A whole subtree is taken in one range when every byte of its tokens
 * loops on the current state (free text inside a JSON string), which keeps walks of string
 * states short even for vocabularies of 150,000 tokens.
 */
import { type ByteDfa, DEAD } from './byte-automaton.js';

/** Where the tokens go from one automaton state: target states and the sorted-order ranges leading there. */
export interface TokenMoves {
  readonly targets: readonly number[];
  /** Per target (same index), pairs [start, end) of the trie's sorted order. */
  readonly ranges: readonly (readonly number[])[];
}

export class TokenTrie {
  /** Token ids in byte-wise order of their surfaces. */
  readonly order: Int32Array;
  private readonly surfaces: Uint8Array[];
  /** Bytes occurring in each sorted token, 8 words each, and a segment tree of their unions. */
  private readonly tree: Uint32Array;
  private readonly leaves: number;

  constructor(surfaces: readonly (Uint8Array | null)[]) {
    const ids: number[] = [];
    surfaces.forEach((s, id) => {
      if (s) ids.push(id);
    });
    ids.sort((a, b) => compareBytes(surfaces[a] as Uint8Array, surfaces[b] as Uint8Array));
    this.order = Int32Array.from(ids);
    this.surfaces = ids.map((id) => surfaces[id] as Uint8Array);
    let leaves = 1;
    while (leaves < ids.length) leaves *= 2;
    this.leaves = leaves;
    this.tree = new Uint32Array(2 * leaves * 8);
    this.surfaces.forEach((s, i) => {
      const at = (leaves + i) * 8;
      for (const b of s) this.tree[at + (b >>> 5)] = (this.tree[at + (b >>> 5)] as number) | (1 << (b & 31));
    });
    for (let node = leaves - 1; node >= 1; node--) {
      for (let w = 0; w < 8; w++) {
        this.tree[node * 8 + w] =
          (this.tree[2 * node * 8 + w] as number) | (this.tree[(2 * node + 1) * 8 + w] as number);
      }
    }
  }

  get size(): number {
    return this.order.length;
  }

  /** Every token's end state from `state` (DEAD ones left out), grouped by target. */
  moves(dfa: ByteDfa, state: number): TokenMoves {
    const byTarget = new Map<number, number[]>();
    const add = (target: number, lo: number, hi: number) => {
      let list = byTarget.get(target);
      if (!list) byTarget.set(target, (list = []));
      const n = list.length;
      if (n > 0 && list[n - 1] === lo)
        list[n - 1] = hi; // extend the previous range
      else list.push(lo, hi);
    };
    this.walk(dfa, state, 0, this.order.length, 0, add);
    return { targets: [...byTarget.keys()], ranges: [...byTarget.values()] };
  }

  private walk(
    dfa: ByteDfa,
    state: number,
    lo: number,
    hi: number,
    depth: number,
    add: (t: number, lo: number, hi: number) => void,
  ): void {
    let at = lo;
    // Tokens that end at this depth sort first.
    while (at < hi && (this.surfaces[at] as Uint8Array).length === depth) at++;
    if (at > lo) add(state, lo, at);
    if (at >= hi) return;
    if (this.subsetOf(at, hi, dfa.selfLoops(state))) {
      add(state, at, hi);
      return;
    }
    while (at < hi) {
      const byte = (this.surfaces[at] as Uint8Array)[depth] as number;
      const end = this.groupEnd(at, hi, depth, byte);
      const next = dfa.next(state, byte);
      if (next !== DEAD) this.walk(dfa, next, at, end, depth + 1, add);
      at = end;
    }
  }

  /** First index in [lo, hi) whose byte at `depth` is above `byte` (all in range have length > depth). */
  private groupEnd(lo: number, hi: number, depth: number, byte: number): number {
    let a = lo;
    let b = hi;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (((this.surfaces[mid] as Uint8Array)[depth] as number) <= byte) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  /** Whether every byte of the tokens in [lo, hi) is in `set`. */
  private subsetOf(lo: number, hi: number, set: Uint32Array): boolean {
    let l = lo + this.leaves;
    let r = hi + this.leaves;
    while (l < r) {
      if (l & 1) {
        if (!this.nodeWithin(l, set)) return false;
        l++;
      }
      if (r & 1) {
        r--;
        if (!this.nodeWithin(r, set)) return false;
      }
      l >>>= 1;
      r >>>= 1;
    }
    return true;
  }

  private nodeWithin(node: number, set: Uint32Array): boolean {
    for (let w = 0; w < 8; w++) if (((this.tree[node * 8 + w] as number) & ~(set[w] as number)) !== 0) return false;
    return true;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

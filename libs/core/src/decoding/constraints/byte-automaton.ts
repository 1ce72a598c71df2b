/**
 * A pattern as a byte automaton: compiled to a Thompson NFA, then determinised lazily (a DFA
 * state is created the first time a walk reaches it), so that large languages — JSON nested a
 * few levels, long alternations — cost only the states a request visits. Hand-written: the
 * constraint walks tokens byte by byte through it many times per step, and needs self-loop
 * sets, which regex libraries do not expose.
 */
import { UnmaskError } from '../../errors.js';
import type { Pattern } from './pattern.js';
import { utf8Sequences } from './utf8-ranges.js';

/** The dead state: no continuation is accepted. */
export const DEAD = -1;

interface NfaState {
  readonly eps: number[];
  readonly edges: { lo: number; hi: number; to: number }[];
}

/** Most NFA states one constraint may have (a guard against schemas that expand too far). */
export const MAX_NFA_STATES = 200_000;
/** Most DFA states one constraint may materialise. */
export const MAX_DFA_STATES = 200_000;

class NfaBuilder {
  readonly states: NfaState[] = [];

  state(): number {
    if (this.states.length >= MAX_NFA_STATES) {
      throw new UnmaskError(
        'invalid_parameter',
        `the constraint is too large (more than ${MAX_NFA_STATES} automaton states); simplify the schema or pattern`,
        'constraint',
      );
    }
    this.states.push({ eps: [], edges: [] });
    return this.states.length - 1;
  }

  eps(from: number, to: number): void {
    (this.states[from] as NfaState).eps.push(to);
  }

  edge(from: number, lo: number, hi: number, to: number): void {
    (this.states[from] as NfaState).edges.push({ lo, hi, to });
  }

  /** Compiles `p` between two new states; returns them. */
  compile(p: Pattern): { start: number; end: number } {
    const start = this.state();
    const end = this.state();
    this.into(p, start, end);
    return { start, end };
  }

  /** Adds the pattern as a path from `start` to `end`. */
  private into(p: Pattern, start: number, end: number): void {
    switch (p.kind) {
      case 'bytes': {
        let at = start;
        p.bytes.forEach((b, i) => {
          const next = i === p.bytes.length - 1 ? end : this.state();
          this.edge(at, b, b, next);
          at = next;
        });
        if (p.bytes.length === 0) this.eps(start, end);
        return;
      }
      case 'byteRanges':
        for (const [lo, hi] of p.ranges) this.edge(start, lo, hi, end);
        return;
      case 'chars':
        for (const [lo, hi] of p.ranges) {
          for (const sequence of utf8Sequences(lo, hi)) {
            let at = start;
            sequence.forEach(([a, b], i) => {
              const next = i === sequence.length - 1 ? end : this.state();
              this.edge(at, a, b, next);
              at = next;
            });
          }
        }
        return;
      case 'seq': {
        let at = start;
        p.items.forEach((item, i) => {
          const next = i === p.items.length - 1 ? end : this.state();
          this.into(item, at, next);
          at = next;
        });
        if (p.items.length === 0) this.eps(start, end);
        return;
      }
      case 'alt':
        for (const item of p.items) this.into(item, start, end);
        return;
      case 'repeat': {
        // min copies in a row, then either (max - min) optional copies or a loop.
        let at = start;
        for (let i = 0; i < p.min; i++) {
          const next = this.state();
          this.into(p.item, at, next);
          at = next;
        }
        if (p.max === Infinity) {
          const loop = this.state();
          this.eps(at, loop);
          const back = this.state();
          this.into(p.item, loop, back);
          this.eps(back, loop);
          this.eps(loop, end);
        } else {
          for (let i = p.min; i < p.max; i++) {
            this.eps(at, end);
            const next = this.state();
            this.into(p.item, at, next);
            at = next;
          }
          this.eps(at, end);
        }
        return;
      }
      case 'list': {
        if (p.min === 0) this.eps(start, end);
        if (p.max < 1) return;
        // Items joined by separators: (min − 1) unrolled `item separator` pairs, then either one
        // item copy whose end loops back through a separator (unbounded) or the optional rest.
        let at = start;
        for (let count = 1; count < p.min; count++) {
          const mid = this.state();
          this.into(p.item, at, mid);
          const next = this.state();
          this.into(p.separator, mid, next);
          at = next;
        }
        if (p.max === Infinity) {
          const itemIn = this.state();
          const itemOut = this.state();
          this.eps(at, itemIn);
          this.into(p.item, itemIn, itemOut);
          this.into(p.separator, itemOut, itemIn);
          this.eps(itemOut, end);
          return;
        }
        let count = Math.max(1, p.min);
        let last = this.state();
        this.into(p.item, at, last);
        for (; count < p.max; count++) {
          this.eps(last, end);
          const mid = this.state();
          this.into(p.separator, last, mid);
          const next = this.state();
          this.into(p.item, mid, next);
          last = next;
        }
        this.eps(last, end);
        return;
      }
      case 'members': {
        // `none` / `some`: no member emitted yet / at least one; each member compiled once.
        let none = start;
        let some: number | undefined;
        for (const member of p.members) {
          const inState = this.state();
          const outState = this.state();
          this.into(member.pattern, inState, outState);
          this.eps(none, inState);
          if (some !== undefined) this.into(p.separator, some, inState);
          const nextSome = this.state();
          this.eps(outState, nextSome);
          if (!member.required) {
            if (some !== undefined) this.eps(some, nextSome);
            const nextNone = this.state();
            this.eps(none, nextNone);
            none = nextNone;
          } else {
            none = this.state(); // unreachable: a required member was skipped
          }
          some = nextSome;
        }
        this.eps(none, end);
        if (some !== undefined) this.eps(some, end);
        return;
      }
    }
  }
}

/**
 * A deterministic byte automaton built on demand from a pattern. States are small integers;
 * `next` returns DEAD when no accepted string continues with that byte.
 */
export class ByteDfa {
  private readonly nfa: NfaState[];
  private readonly accept: number;
  /** NFA state sets of each DFA state, and their keys. */
  private readonly sets: Int32Array[] = [];
  private readonly ids = new Map<string, number>();
  private readonly table: Int32Array[] = [];
  private readonly accepting: boolean[] = [];
  private readonly loops: (Uint32Array | undefined)[] = [];
  readonly start: number;

  constructor(pattern: Pattern) {
    const builder = new NfaBuilder();
    const { start, end } = builder.compile(pattern);
    this.nfa = builder.states;
    this.accept = end;
    this.start = this.intern(this.closure([start]));
  }

  /** NFA states (for the cost report). */
  get nfaStates(): number {
    return this.nfa.length;
  }

  /** DFA states materialised so far. */
  get size(): number {
    return this.sets.length;
  }

  isAccepting(state: number): boolean {
    return this.accepting[state] === true;
  }

  next(state: number, byte: number): number {
    const row = this.table[state] as Int32Array;
    const known = row[byte] as number;
    if (known !== -2) return known;
    this.expand(state);
    return row[byte] as number;
  }

  /** Walks `bytes` from `state`; DEAD when some byte is refused. */
  walk(state: number, bytes: Uint8Array): number {
    let s = state;
    for (let i = 0; i < bytes.length && s !== DEAD; i++) s = this.next(s, bytes[i] as number);
    return s;
  }

  /** The bytes on which `state` goes back to itself, as a 256-bit set. */
  selfLoops(state: number): Uint32Array {
    let loops = this.loops[state];
    if (loops) return loops;
    loops = new Uint32Array(8);
    for (let b = 0; b < 256; b++)
      if (this.next(state, b) === state) loops[b >>> 5] = (loops[b >>> 5] as number) | (1 << (b & 31));
    this.loops[state] = loops;
    return loops;
  }

  private closure(seeds: Iterable<number>): Int32Array {
    const seen = new Set<number>();
    const stack = [...seeds];
    while (stack.length > 0) {
      const s = stack.pop() as number;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const t of (this.nfa[s] as NfaState).eps) if (!seen.has(t)) stack.push(t);
    }
    // Keep only states that matter: those with byte edges, and the accepting one.
    const kept = [...seen].filter((s) => s === this.accept || (this.nfa[s] as NfaState).edges.length > 0);
    return Int32Array.from(kept.sort((a, b) => a - b));
  }

  private intern(set: Int32Array): number {
    if (set.length === 0) return DEAD;
    const key = set.join(',');
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    if (this.sets.length >= MAX_DFA_STATES) {
      throw new UnmaskError(
        'invalid_parameter',
        `the constraint is too large (more than ${MAX_DFA_STATES} automaton states); simplify the schema or pattern`,
        'constraint',
      );
    }
    const id = this.sets.length;
    this.sets.push(set);
    this.ids.set(key, id);
    this.table.push(new Int32Array(256).fill(-2));
    this.accepting.push(set.includes(this.accept));
    this.loops.push(undefined);
    return id;
  }

  private expand(state: number): void {
    const targets: number[][] = Array.from({ length: 256 }, () => []);
    for (const s of this.sets[state] as Int32Array) {
      for (const { lo, hi, to } of (this.nfa[s] as NfaState).edges) {
        for (let b = lo; b <= hi; b++) (targets[b] as number[]).push(to);
      }
    }
    const row = this.table[state] as Int32Array;
    const byKey = new Map<string, number>();
    for (let b = 0; b < 256; b++) {
      const t = targets[b] as number[];
      if (t.length === 0) {
        row[b] = DEAD;
        continue;
      }
      const key = t.join(',');
      let id = byKey.get(key);
      if (id === undefined) {
        id = this.intern(this.closure(t));
        byKey.set(key, id);
      }
      row[b] = id;
    }
  }
}

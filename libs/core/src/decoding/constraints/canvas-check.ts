/**
 * Keeps one request's canvas completable. A canvas is completable when its masks can be filled
 * so that the answer — the tokens before the first end-of-text — is in the constraint's
 * language, every committed token kept: end-of-text may only fall after the last committed
 * token. The check runs two passes over the positions, in the manner of the published
 * constrained decoding for diffusion LMs (the language intersected with the canvas's regular
 * language of fillings), here with the language itself regular:
 *
 * - forward, the automaton states reachable after each position (a mask: any token);
 * - backward, which of those states can still reach an accepted end through the rest.
 *
 * A token is allowed at a masked position when some reachable state before it leads into a
 * state that can still finish; end-of-text is allowed when the answer can end there or at an
 * earlier mask. Commits are checked one at a time, so any order and any number of commits per
 * step keep the invariant.
 */
import type { ByteDfa } from './byte-automaton.js';
import type { TokenMoves, TokenTrie } from './token-trie.js';

/**
 * What the check reads of a constraint (token-constraint.ts's `TokenConstraint` is one),
 * declared here so that the two modules do not import each other.
 */
export interface CheckedConstraint {
  readonly dfa: ByteDfa;
  readonly vocabulary: {
    readonly size: number;
    readonly first: TokenTrie;
    readonly rest: TokenTrie;
    surface(id: number, position: number): Uint8Array | null;
  };
  moves(state: number, first: boolean): TokenMoves;
}

/** Allowed-token sets kept per request; keyed by their inputs, so they stay valid across commits. */
const ALLOWED_CACHE = 64;

export class CanvasCheck {
  /** The canvas as last seen: token ids, the mask id for masks. */
  private readonly ids: Int32Array;
  private dirty = true;
  /** Reachable states before each position (index 0..end). */
  private forward: number[][] = [];
  /** States of `forward[i]` that can still finish (index 0..end). */
  private good: Set<number>[] = [];
  /** First committed end-of-text (or the length). */
  private end = 0;
  /** First masked position after `lastContent` where the answer could end (Infinity when none). */
  private firstEnd = Infinity;
  private readonly allowedCache = new Map<string, Uint8Array>();

  constructor(
    readonly constraint: CheckedConstraint,
    readonly length: number,
    private readonly maskId: number,
    private readonly eosId: number,
  ) {
    this.ids = new Int32Array(length).fill(maskId);
  }

  /** Whether the canvas (as last set) can still be completed. */
  get completable(): boolean {
    this.refresh();
    return this.good[0]?.has(this.constraint.dfa.start) === true;
  }

  /** Takes the canvas's current ids (masks carry the mask id). */
  sync(canvas: ArrayLike<number>): void {
    for (let i = 0; i < this.length; i++) {
      const id = canvas[i] as number;
      if (this.ids[i] !== id) {
        this.ids[i] = id;
        this.dirty = true;
      }
    }
  }

  /** Records a commit the caller made (after `allows` said yes). */
  commit(position: number, token: number): void {
    this.ids[position] = token;
    this.dirty = true;
  }

  /** Whether committing `token` at masked `position` keeps the canvas completable. */
  allows(position: number, token: number): boolean {
    this.refresh();
    if (position >= this.end) return true; // after the answer's end: dropped
    if (token === this.eosId) return this.firstEnd <= position;
    const surface = this.constraint.vocabulary.surface(token, position);
    if (surface === null) return false;
    const { dfa } = this.constraint;
    const after = this.goodAfter(position);
    for (const q of this.forward[position] as number[]) {
      const r = dfa.walk(q, surface);
      if (r >= 0 && after.has(r)) return true;
    }
    return false;
  }

  /**
   * Sets the logits of every token not allowed at masked `position` to −Infinity
   * (`logits[offset, offset + vocab)`).
   */
  restrict(position: number, logits: Float32Array, offset: number, vocab: number): void {
    this.refresh();
    if (position >= this.end) return;
    const allowed = this.allowedAt(position);
    for (let id = 0; id < vocab; id++) if (allowed[id] !== 1) logits[offset + id] = -Infinity;
  }

  /** The allowed token ids at `position` (1 = allowed), end-of-text included when allowed. */
  allowedAt(position: number): Uint8Array {
    this.refresh();
    const size = this.constraint.vocabulary.size;
    if (position >= this.end) return new Uint8Array(size).fill(1);
    const from = this.forward[position] as number[];
    const after = this.goodAfter(position);
    const first = position === 0;
    const key = `${first ? 'f' : 'r'}|${from.join(',')}|${[...after].sort((a, b) => a - b).join(',')}|${this.firstEnd <= position}`;
    let allowed = this.allowedCache.get(key);
    if (allowed) return allowed;
    allowed = new Uint8Array(size);
    const order = (first ? this.constraint.vocabulary.first : this.constraint.vocabulary.rest).order;
    // Count the ranges of every (state, target) pair that fits over the sorted order (a
    // difference array: no sorting), then mark the covered tokens once.
    const cover = new Int32Array(order.length + 1);
    for (const q of from) {
      const { targets, ranges } = this.constraint.moves(q, first);
      targets.forEach((target, t) => {
        if (!after.has(target)) return;
        const list = ranges[t] as number[];
        for (let k = 0; k < list.length; k += 2) {
          cover[list[k] as number] = (cover[list[k] as number] as number) + 1;
          cover[list[k + 1] as number] = (cover[list[k + 1] as number] as number) - 1;
        }
      });
    }
    let depth = 0;
    for (let i = 0; i < order.length; i++) {
      depth += cover[i] as number;
      if (depth > 0) allowed[order[i] as number] = 1;
    }
    if (this.firstEnd <= position && this.eosId < size) allowed[this.eosId] = 1;
    if (this.allowedCache.size >= ALLOWED_CACHE)
      this.allowedCache.delete(this.allowedCache.keys().next().value as string);
    this.allowedCache.set(key, allowed);
    return allowed;
  }

  /** States after `position` that can still finish. */
  private goodAfter(position: number): Set<number> {
    return this.good[position + 1] as Set<number>;
  }

  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const { dfa } = this.constraint;
    const vocabulary = this.constraint.vocabulary;
    let end = this.length;
    for (let i = 0; i < this.length; i++) {
      if (this.ids[i] === this.eosId) {
        end = i;
        break;
      }
    }
    let lastContent = -1;
    for (let i = end - 1; i >= 0; i--) {
      if (this.ids[i] !== this.maskId) {
        lastContent = i;
        break;
      }
    }
    this.end = end;

    // Forward: reachable states before each position.
    const forward: number[][] = [[dfa.start]];
    for (let i = 0; i < end; i++) {
      const from = forward[i] as number[];
      const next = new Set<number>();
      const id = this.ids[i] as number;
      if (id === this.maskId) {
        for (const q of from) for (const t of this.constraint.moves(q, i === 0).targets) next.add(t);
      } else {
        const surface = vocabulary.surface(id, i);
        if (surface !== null) {
          for (const q of from) {
            const r = dfa.walk(q, surface);
            if (r >= 0) next.add(r);
          }
        }
      }
      forward.push([...next]);
    }
    // Backward: which reachable states can finish.
    const good: Set<number>[] = new Array(end + 1);
    good[end] = new Set((forward[end] as number[]).filter((q) => dfa.isAccepting(q)));
    for (let i = end - 1; i >= 0; i--) {
      const after = good[i + 1] as Set<number>;
      const here = new Set<number>();
      const id = this.ids[i] as number;
      const canEnd = id === this.maskId && i > lastContent;
      for (const q of forward[i] as number[]) {
        if (canEnd && dfa.isAccepting(q)) {
          here.add(q);
          continue;
        }
        if (id === this.maskId) {
          if (this.constraint.moves(q, i === 0).targets.some((t) => after.has(t))) here.add(q);
        } else {
          const surface = vocabulary.surface(id, i);
          if (surface !== null) {
            const r = dfa.walk(q, surface);
            if (r >= 0 && after.has(r)) here.add(q);
          }
        }
      }
      good[i] = here;
    }
    // Where the answer could end first: a mask after the last commit with an accepting state
    // reachable before it, provided the canvas is completable at all.
    let firstEnd = Infinity;
    for (let i = lastContent + 1; i < end; i++) {
      if (
        this.ids[i] === this.maskId &&
        (forward[i] as number[]).some((q) => dfa.isAccepting(q) && (good[i] as Set<number>).has(q))
      ) {
        firstEnd = i;
        break;
      }
    }
    this.forward = forward;
    this.good = good;
    this.firstEnd = firstEnd;
  }
}

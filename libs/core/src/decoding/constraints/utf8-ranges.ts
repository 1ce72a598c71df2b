/**
 * A range of Unicode scalar values as UTF-8 byte-range sequences: every code point in the
 * range encodes to a byte string matched by exactly one of the sequences, each a list of byte
 * ranges (one per byte). Surrogates (U+D800–U+DFFF) are left out; they have no UTF-8 form.
 */
import type { Range } from './pattern.js';

const ENCODED_LENGTH_LIMITS = [0x7f, 0x7ff, 0xffff, 0x10ffff] as const;

export function utf8Sequences(lo: number, hi: number): Range[][] {
  const out: Range[][] = [];
  const pending: Range[] = [];
  // Drop the surrogates.
  if (lo <= 0xdfff && hi >= 0xd800) {
    if (lo < 0xd800) pending.push([lo, 0xd7ff]);
    if (hi > 0xdfff) pending.push([0xe000, hi]);
  } else if (lo <= hi) {
    pending.push([lo, hi]);
  }
  while (pending.length > 0) {
    const [a, b] = pending.pop() as Range;
    if (a > b) continue;
    // Split where the encoded length changes.
    const limit = ENCODED_LENGTH_LIMITS.find((l) => a <= l) as number;
    if (b > limit) {
      pending.push([limit + 1, b], [a, limit]);
      continue;
    }
    const length = ENCODED_LENGTH_LIMITS.indexOf(limit as (typeof ENCODED_LENGTH_LIMITS)[number]) + 1;
    if (length === 1) {
      out.push([[a, b]]);
      continue;
    }
    // Split until every continuation byte below the first differing one spans its full range.
    let split = false;
    for (let i = 1; i < length; i++) {
      const m = (1 << (6 * i)) - 1;
      if ((a & ~m) !== (b & ~m)) {
        if ((a & m) !== 0) {
          pending.push([(a | m) + 1, b], [a, a | m]);
          split = true;
          break;
        }
        if ((b & m) !== m) {
          pending.push([b & ~m, b], [a, (b & ~m) - 1]);
          split = true;
          break;
        }
      }
    }
    if (split) continue;
    const ea = encode(a);
    const eb = encode(b);
    out.push(ea.map((byte, i) => [byte, eb[i] as number] as Range));
  }
  return out;
}

function encode(cp: number): number[] {
  return Array.from(new TextEncoder().encode(String.fromCodePoint(cp)));
}

/**
 * The JSON integers between `lo` and `hi` (either may be infinite) as a pattern over digits:
 * canonical forms only (no leading zeros, no `-0`).
 */
import { alt, byteRanges, literal, NOTHING, type Pattern, repeat, seq } from './pattern.js';

const DIGIT = byteRanges([0x30, 0x39]);
const NONZERO = byteRanges([0x31, 0x39]);

export function integerRange(lo: number, hi: number): Pattern {
  if (lo > hi) return NOTHING;
  const parts: Pattern[] = [];
  if (lo < 0) {
    // Negative side: -(magnitudes from max(1, -hi) to -lo).
    const magnitudes = naturalRange(Math.max(1, hi < 0 ? -hi : 1), -lo);
    parts.push(seq(literal('-'), magnitudes));
  }
  if (hi >= 0) parts.push(naturalRange(Math.max(0, lo), hi));
  return alt(...parts);
}

/** Non-negative integers in [a, b] (b may be Infinity), without leading zeros. */
function naturalRange(a: number, b: number): Pattern {
  if (a > b) return NOTHING;
  const parts: Pattern[] = [];
  const la = String(a).length;
  const lb = b === Infinity ? Infinity : String(b).length;
  for (let n = la; n <= Math.min(lb, la + 30) && n <= 20; n++) {
    const low = n === la ? a : 10 ** (n - 1);
    if (b === Infinity && n > la) {
      // Every number with more digits than a.
      parts.push(seq(NONZERO, repeat(DIGIT, n - 1, Infinity)));
      break;
    }
    const high = n === lb ? b : 10 ** n - 1;
    parts.push(sameLength(String(low), String(high)));
  }
  return alt(...parts);
}

/** Digit strings of one length between `a` and `b` (inclusive, a ≤ b). */
function sameLength(a: string, b: string): Pattern {
  if (a.length === 0) return seq();
  const x = Number(a[0]);
  const y = Number(b[0]);
  if (a.length === 1) return byteRanges([0x30 + x, 0x30 + y]);
  const restA = a.slice(1);
  const restB = b.slice(1);
  if (x === y) return seq(literal(a[0] as string), sameLength(restA, restB));
  const nines = '9'.repeat(restA.length);
  const zeros = '0'.repeat(restA.length);
  const parts: Pattern[] = [seq(literal(a[0] as string), sameLength(restA, nines))];
  if (y - x >= 2) parts.push(seq(byteRanges([0x31 + x, 0x2f + y]), repeat(DIGIT, restA.length, restA.length)));
  parts.push(seq(literal(b[0] as string), sameLength(zeros, restB)));
  return alt(...parts);
}

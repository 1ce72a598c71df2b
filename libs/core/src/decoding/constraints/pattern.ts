/**
 * The language of a constraint, as a small pattern tree over bytes. Regular expressions, JSON
 * Schemas and choices compile to it; `byte-nfa.ts` turns it into an automaton. Characters are
 * Unicode code point ranges, encoded to UTF-8 byte sequences when compiled; byte ranges match
 * raw bytes (used where any byte of a tokenizer's output is acceptable, as in JSON strings).
 */

export type Range = readonly [lo: number, hi: number];

export type Pattern =
  /** Exactly these bytes. */
  | { readonly kind: 'bytes'; readonly bytes: readonly number[] }
  /** One byte within one of the ranges. */
  | { readonly kind: 'byteRanges'; readonly ranges: readonly Range[] }
  /** One Unicode scalar value within one of the ranges, UTF-8 encoded. */
  | { readonly kind: 'chars'; readonly ranges: readonly Range[] }
  | { readonly kind: 'seq'; readonly items: readonly Pattern[] }
  | { readonly kind: 'alt'; readonly items: readonly Pattern[] }
  /** `item` between `min` and `max` times (`max` may be Infinity). */
  | { readonly kind: 'repeat'; readonly item: Pattern; readonly min: number; readonly max: number }
  /** `item (separator item)*` with between `min` and `max` items; `min` 0 allows the empty list. */
  | {
      readonly kind: 'list';
      readonly item: Pattern;
      readonly separator: Pattern;
      readonly min: number;
      readonly max: number;
    }
  /**
   * Object members in a fixed order, each required or optional, separated by `separator` (no
   * separator before the first one present): `a, b` / `b` / `a` for two optional members.
   */
  | {
      readonly kind: 'members';
      readonly members: readonly { readonly pattern: Pattern; readonly required: boolean }[];
      readonly separator: Pattern;
    };

export const EMPTY: Pattern = { kind: 'seq', items: [] };
/** The empty language (matches nothing). */
export const NOTHING: Pattern = { kind: 'alt', items: [] };

export const seq = (...items: Pattern[]): Pattern => ({ kind: 'seq', items });
export const alt = (...items: Pattern[]): Pattern =>
  items.length === 1 ? (items[0] as Pattern) : { kind: 'alt', items };
export const optional = (item: Pattern): Pattern => ({ kind: 'repeat', item, min: 0, max: 1 });
export const star = (item: Pattern): Pattern => ({ kind: 'repeat', item, min: 0, max: Infinity });
export const repeat = (item: Pattern, min: number, max: number): Pattern => ({ kind: 'repeat', item, min, max });
export const byteRanges = (...ranges: Range[]): Pattern => ({ kind: 'byteRanges', ranges });
export const chars = (...ranges: Range[]): Pattern => ({ kind: 'chars', ranges });

/** The UTF-8 bytes of a string. */
export function literal(text: string): Pattern {
  return { kind: 'bytes', bytes: Array.from(new TextEncoder().encode(text)) };
}

/** Whether the pattern can match nothing at all (used to report unsatisfiable schemas). */
export function isNothing(p: Pattern): boolean {
  switch (p.kind) {
    case 'alt':
      return p.items.every(isNothing);
    case 'seq':
      return p.items.some(isNothing);
    case 'repeat':
      return p.min > 0 && isNothing(p.item);
    case 'list':
      return p.min > 0 && isNothing(p.item);
    case 'members':
      return p.members.some((m) => m.required && isNothing(m.pattern));
    case 'byteRanges':
    case 'chars':
      return p.ranges.length === 0;
    case 'bytes':
      return false;
  }
}

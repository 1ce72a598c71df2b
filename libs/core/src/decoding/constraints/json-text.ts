/**
 * JSON text as patterns: whitespace, numbers, strings, and free-form values nested at most a
 * given depth (json-schema.ts narrows them by a schema; tool-call.ts frames them), and the
 * JSON-string form of a pattern over characters.
 */
import { alt, byteRanges, chars, literal, type Pattern, type Range, repeat, seq, optional, star } from './pattern.js';

/** Whitespace between JSON tokens: `[ \t\n\r]*`. */
export const WS = star(byteRanges([0x09, 0x0a], [0x0d, 0x0d], [0x20, 0x20]));
const HEX = byteRanges([0x30, 0x39], [0x41, 0x46], [0x61, 0x66]);
const DIGIT = byteRanges([0x30, 0x39]);
const ESCAPE = seq(
  literal('\\'),
  alt(
    byteRanges(
      [0x22, 0x22],
      [0x2f, 0x2f],
      [0x5c, 0x5c],
      [0x62, 0x62],
      [0x66, 0x66],
      [0x6e, 0x6e],
      [0x72, 0x72],
      [0x74, 0x74],
    ),
    seq(literal('u'), HEX, HEX, HEX, HEX),
  ),
);
/** One string character, any byte from 0x80 up taken as is (a tokenizer decodes bad UTF-8 to U+FFFD, still valid JSON). */
const STRING_BYTE = alt(byteRanges([0x20, 0x21], [0x23, 0x5b], [0x5d, 0xff]), ESCAPE);
/** One whole string character (for length limits). */
export const STRING_CHAR = alt(chars([0x20, 0x21], [0x23, 0x5b], [0x5d, 0x10ffff]), ESCAPE);
export const QUOTE = literal('"');
export const INTEGER = seq(optional(literal('-')), alt(literal('0'), seq(byteRanges([0x31, 0x39]), star(DIGIT))));
export const FRACTION = seq(literal('.'), repeat(DIGIT, 1, Infinity));
const EXPONENT = seq(
  byteRanges([0x45, 0x45], [0x65, 0x65]),
  optional(byteRanges([0x2b, 0x2b], [0x2d, 0x2d])),
  repeat(DIGIT, 1, Infinity),
);
export const NUMBER = seq(INTEGER, optional(FRACTION), optional(EXPONENT));
export const FREE_STRING = seq(QUOTE, star(STRING_BYTE), QUOTE);

/** Any JSON text whose top level is an object (`response_format: json_object`). */
export function anyJsonObject(options: { readonly maxDepth?: number } = {}): Pattern {
  return seq(WS, freeObject(options.maxDepth ?? 5), WS);
}

/** Any JSON value with at most `depth` levels of objects and arrays (counting its own). */
export function anyJson(depth: number): Pattern {
  const scalars = [FREE_STRING, NUMBER, literal('true'), literal('false'), literal('null')];
  if (depth <= 0) return alt(...scalars);
  return alt(freeObject(depth), freeArray(depth), ...scalars);
}

/** An object with at most `depth` levels of nesting, itself included (depth ≥ 1). */
export function freeObject(depth: number): Pattern {
  const member = seq(FREE_STRING, WS, literal(':'), WS, anyJson(depth - 1));
  return seq(
    literal('{'),
    WS,
    { kind: 'list', item: member, separator: seq(WS, literal(','), WS), min: 0, max: Infinity },
    WS,
    literal('}'),
  );
}

function freeArray(depth: number): Pattern {
  return seq(
    literal('['),
    WS,
    { kind: 'list', item: anyJson(depth - 1), separator: seq(WS, literal(','), WS), min: 0, max: Infinity },
    WS,
    literal(']'),
  );
}

/**
 * The JSON-string form of a pattern over characters: `"` and `\` escaped, control characters
 * written as `\n`, `\t`, … or `\u00XX`.
 */
export function jsonEscaped(p: Pattern): Pattern {
  switch (p.kind) {
    case 'chars': {
      const raw: Range[] = [];
      const escaped: Pattern[] = [];
      for (const [lo, hi] of p.ranges) {
        // Raw: 0x20..0x10FFFF except '"' and '\'.
        for (const [a, b] of [
          [0x20, 0x21],
          [0x23, 0x5b],
          [0x5d, 0x10ffff],
        ] as const) {
          const x = Math.max(lo, a);
          const y = Math.min(hi, b);
          if (x <= y) raw.push([x, y]);
        }
        for (let c = lo; c <= Math.min(hi, 0x5c); c++) {
          if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
          escaped.push(literal(JSON.stringify(String.fromCharCode(c)).slice(1, -1)));
        }
      }
      return alt(...(raw.length > 0 ? [chars(...raw)] : []), ...escaped);
    }
    case 'seq':
      return seq(...p.items.map(jsonEscaped));
    case 'alt':
      return alt(...p.items.map(jsonEscaped));
    case 'repeat':
      return repeat(jsonEscaped(p.item), p.min, p.max);
    case 'list':
      return { ...p, item: jsonEscaped(p.item), separator: jsonEscaped(p.separator) };
    case 'members':
      return { ...p, members: p.members.map((m) => ({ ...m, pattern: jsonEscaped(m.pattern) })) };
    case 'bytes':
    case 'byteRanges':
      return p;
  }
}

/**
 * Regular expressions (the common JavaScript / JSON Schema subset) parsed into a pattern over
 * code points: literals and escapes (`\d \w \s` and their negations, `\n \t \r \f \v \0`,
 * `\xHH`, `\uHHHH`, `\u{…}`, escaped metacharacters), classes `[…]` with ranges and negation,
 * `.`, groups `(…)` `(?:…)` `(?<name>…)`, `|`, and the quantifiers `* + ? {n} {n,} {n,m}`
 * (lazy forms accepted, they match the same strings). `^` at the start and `$` at the end
 * anchor; the match is always of the whole text. Back-references, look-around, word
 * boundaries and flags are refused with a message naming them. Hand-written: JavaScript's RegExp
 * matches but does not expose a pattern's structure, which the byte automaton is built from.
 */
import { UnmaskError } from '../../errors.js';
import { alt, type Pattern, type Range, repeat, seq } from './pattern.js';

const MAX_CODE_POINT = 0x10ffff;
/** Largest bounded repetition count accepted (each repetition is a copy in the automaton). */
export const MAX_REPEAT = 1000;

const DIGIT: Range[] = [[0x30, 0x39]];
const WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const SPACE: Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const LINE_TERMINATORS: Range[] = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
];

/** Sorted, merged ranges. */
export function normalizeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function negateRanges(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [a, b] of normalizeRanges(ranges)) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

export const ANY_CHAR: Range[] = [[0, MAX_CODE_POINT]];

class RegexParser {
  private at = 0;

  constructor(
    private readonly source: string,
    private readonly param: string,
  ) {}

  parse(): Pattern {
    if (this.source.startsWith('^')) this.at = 1;
    const p = this.alternation();
    if (this.at < this.source.length) this.fail(`unexpected '${this.source[this.at]}'`);
    return p;
  }

  private fail(message: string): never {
    throw new UnmaskError(
      'invalid_parameter',
      `${this.param}: ${message} at offset ${this.at} of the regular expression ${JSON.stringify(this.source)}`,
      this.param,
    );
  }

  private peek(): string | undefined {
    return this.source[this.at];
  }

  private alternation(): Pattern {
    const branches = [this.sequence()];
    while (this.peek() === '|') {
      this.at++;
      branches.push(this.sequence());
    }
    return alt(...branches);
  }

  private sequence(): Pattern {
    const items: Pattern[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '$') {
        // Only as the final anchor.
        if (this.at === this.source.length - 1) {
          this.at++;
          break;
        }
        this.fail("'$' is only supported at the end");
      }
      if (c === '^') this.fail("'^' is only supported at the start");
      items.push(this.quantified(this.atom()));
    }
    return seq(...items);
  }

  private quantified(atom: Pattern): Pattern {
    let p = atom;
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
        if (!m) return p; // a literal '{' (as JavaScript reads it outside unicode mode)
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (max < min) this.fail('numbers out of order in {} quantifier');
        if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT))
          this.fail(`repetition counts above ${MAX_REPEAT} are not supported`);
        this.at += m[0].length - 1;
      } else return p;
      this.at++;
      if (this.peek() === '?') this.at++; // lazy: same language
      p = repeat(p, min, max);
    }
  }

  private atom(): Pattern {
    const c = this.peek() as string;
    if (c === '(') {
      this.at++;
      if (this.source.startsWith('?:', this.at)) this.at += 2;
      else if (this.source.startsWith('?<', this.at) && !/^\?<[=!]/.test(this.source.slice(this.at))) {
        const close = this.source.indexOf('>', this.at);
        if (close < 0) this.fail('unterminated group name');
        this.at = close + 1;
      } else if (this.peek() === '?') this.fail('look-around groups are not supported');
      const inner = this.alternation();
      if (this.peek() !== ')') this.fail("missing ')'");
      this.at++;
      return inner;
    }
    if (c === '[') return this.charClass();
    if (c === '.') {
      this.at++;
      return { kind: 'chars', ranges: negateRanges(LINE_TERMINATORS) };
    }
    if (c === '\\') return { kind: 'chars', ranges: this.escape(false) };
    if (c === '*' || c === '+' || c === '?') this.fail('nothing to repeat');
    const cp = this.source.codePointAt(this.at) as number;
    this.at += cp > 0xffff ? 2 : 1;
    return { kind: 'chars', ranges: [[cp, cp]] };
  }

  /** After '\\': the code point ranges the escape stands for. */
  private escape(inClass: boolean): Range[] {
    this.at++;
    const c = this.peek();
    if (c === undefined) this.fail('trailing backslash');
    this.at++;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return negateRanges(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return negateRanges(WORD);
      case 's':
        return SPACE;
      case 'S':
        return negateRanges(SPACE);
      case 'n':
        return [[0x0a, 0x0a]];
      case 't':
        return [[0x09, 0x09]];
      case 'r':
        return [[0x0d, 0x0d]];
      case 'f':
        return [[0x0c, 0x0c]];
      case 'v':
        return [[0x0b, 0x0b]];
      case '0':
        return [[0, 0]];
      case 'b':
        if (inClass) return [[0x08, 0x08]];
        return this.fail('word boundaries (\\b) are not supported');
      case 'B':
        return this.fail('word boundaries (\\B) are not supported');
      case 'x': {
        const hex = /^[0-9a-fA-F]{2}/.exec(this.source.slice(this.at));
        if (!hex) this.fail('\\x needs two hex digits');
        this.at += 2;
        const v = Number.parseInt(hex[0], 16);
        return [[v, v]];
      }
      case 'u': {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.source.slice(this.at));
        const plain = /^[0-9a-fA-F]{4}/.exec(this.source.slice(this.at));
        const text = braced ? braced[1] : plain?.[0];
        if (!text) this.fail('\\u needs four hex digits or {…}');
        this.at += braced ? braced[0].length : 4;
        const v = Number.parseInt(text as string, 16);
        if (v > MAX_CODE_POINT) this.fail('code point out of range');
        return [[v, v]];
      }
      default:
        if (/[1-9]/.test(c as string)) this.fail('back-references are not supported');
        if (/[a-zA-Z]/.test(c as string)) this.fail(`unknown escape \\${c}`);
        return [[(c as string).codePointAt(0) as number, (c as string).codePointAt(0) as number]];
    }
  }

  private charClass(): Pattern {
    this.at++;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.at++;
    }
    const ranges: Range[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("missing ']'");
      if (c === ']' && !first) break;
      first = false;
      const lo = this.classAtom();
      if (this.peek() === '-' && this.source[this.at + 1] !== ']' && this.source[this.at + 1] !== undefined) {
        this.at++;
        const hi = this.classAtom();
        if (lo.length !== 1 || hi.length !== 1 || (lo[0] as Range)[0] !== (lo[0] as Range)[1])
          this.fail('a class range needs single characters at both ends');
        const a = (lo[0] as Range)[0];
        const b = (hi[0] as Range)[0];
        if (b < a) this.fail('class range out of order');
        ranges.push([a, b]);
      } else ranges.push(...lo);
    }
    this.at++;
    return { kind: 'chars', ranges: negated ? negateRanges(ranges) : normalizeRanges(ranges) };
  }

  private classAtom(): Range[] {
    if (this.peek() === '\\') return this.escape(true);
    const cp = this.source.codePointAt(this.at) as number;
    this.at += cp > 0xffff ? 2 : 1;
    return [[cp, cp]];
  }
}

/**
 * Parses a regular expression matching whole texts (`^`/`$` optional). `param` names the
 * request field in errors.
 */
export function parseRegex(source: string, param = 'regex'): Pattern {
  return new RegexParser(source, param).parse();
}

/** Whether the expression is anchored at its start / end (JSON Schema `pattern` searches otherwise). */
export function regexAnchors(source: string): { start: boolean; end: boolean } {
  const end = source.endsWith('$') && !source.endsWith('\\$');
  return { start: source.startsWith('^'), end };
}

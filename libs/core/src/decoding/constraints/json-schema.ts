/**
 * JSON Schema (the subset OpenAI's strict mode accepts, plus `required` subsets, `minLength` /
 * `maxLength` and integer bounds) and plain JSON, compiled to a pattern over the JSON text.
 *
 * - Object properties come in declaration order (as OpenAI's structured outputs write them);
 *   properties not in `required` may be left out; no other property is written.
 * - Whitespace between JSON tokens is free (`[ \t\n\r]*`): tokenizers such as the default
 *   model's put a space before every word.
 * - Nesting is bounded: plain JSON (`{}` / `true` schemas, objects without `properties`) nests
 *   at most `maxDepth` levels of objects and arrays, and recursive `$ref`s unroll at most
 *   `maxDepth` times; the language is then regular, which the canvas check needs.
 * - A schema's language may be narrower than the schema (only canonical numbers, `date-time`
 *   in UTC, no 29 February): the output always validates, but not every valid value can be
 *   written. Keywords that would need more (`not`, `uniqueItems`, `patternProperties`, …) are
 *   refused by name, never ignored.
 */
import { UnmaskError } from '../../errors.js';
import { integerRange } from './integer-range.js';
import {
  anyJson,
  FRACTION,
  FREE_STRING,
  freeObject,
  INTEGER,
  jsonEscaped,
  NUMBER,
  QUOTE,
  STRING_CHAR,
  WS,
} from './json-text.js';
import { alt, chars, isNothing, literal, NOTHING, optional, type Pattern, repeat, seq } from './pattern.js';
import {
  FORMATS,
  inferTypes,
  isAnnotation,
  isObject,
  type JsonType,
  REFUSED,
  resolvePointer,
  type Schema,
  TYPES,
  valueHasType,
} from './json-schema-vocabulary.js';
import { ANY_CHAR, MAX_REPEAT, parseRegex, regexAnchors } from './regex.js';

export interface JsonSchemaOptions {
  /** Most levels of nesting for free-form JSON and recursive references (default 5). */
  readonly maxDepth?: number;
  /** Request field named in errors. */
  readonly param?: string;
}

/** Compiles a JSON Schema to the pattern of the JSON texts that satisfy it. */
export function compileJsonSchema(schema: unknown, options: JsonSchemaOptions = {}): Pattern {
  const compiler = new SchemaCompiler(schema, options.maxDepth ?? 5, options.param ?? 'json_schema');
  const p = seq(WS, compiler.value(schema, '#', 0), WS);
  if (isNothing(p)) {
    throw new UnmaskError(
      'invalid_parameter',
      `${compiler.param}: no JSON value satisfies the schema within ${compiler.maxDepth} levels of nesting`,
      compiler.param,
    );
  }
  return p;
}

class SchemaCompiler {
  /** How many times each `$ref` is being expanded on the current path. */
  private readonly expanding = new Map<string, number>();

  constructor(
    private readonly root: unknown,
    readonly maxDepth: number,
    readonly param: string,
  ) {}

  private fail(path: string, message: string): never {
    throw new UnmaskError('invalid_parameter', `${this.param}: ${path}: ${message}`, this.param);
  }

  /** A non-negative integer keyword's value, or `fallback` when it is absent. */
  private count(v: unknown, fallback: number, path: string): number {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(path, 'must be a non-negative integer');
    return v;
  }

  /** `depth`: objects and arrays around this value in free-form parts. */
  value(node: unknown, path: string, depth: number): Pattern {
    if (node === true) return anyJson(this.maxDepth - depth);
    if (node === false) return NOTHING;
    if (typeof node !== 'object' || node === null || Array.isArray(node))
      this.fail(path, 'a schema must be an object or a boolean');
    const s = node as Schema;
    for (const keyword of REFUSED) {
      if (s[keyword] !== undefined)
        this.fail(path, `the keyword "${keyword}" is not supported by constrained decoding`);
    }
    if (s.$ref !== undefined) return this.ref(s, path, depth);
    if (s.allOf !== undefined) {
      if (!Array.isArray(s.allOf) || s.allOf.length !== 1)
        this.fail(`${path}/allOf`, 'allOf is supported only with a single schema');
      return this.value(s.allOf[0], `${path}/allOf/0`, depth);
    }
    const unions = (['anyOf', 'oneOf'] as const).filter((k) => s[k] !== undefined);
    if (unions.length > 0) {
      const key = unions[0] as 'anyOf' | 'oneOf';
      const list = s[key];
      if (!Array.isArray(list) || list.length === 0)
        this.fail(`${path}/${key}`, 'must be a non-empty array of schemas');
      const { [key]: _, ...rest } = s;
      const others = Object.keys(rest).filter((k) => !isAnnotation(k));
      // Sibling keywords apply to every branch (e.g. a shared `type`).
      return alt(
        ...list.map((branch, i) =>
          this.value(
            others.length > 0 && isObject(branch) ? { ...rest, ...branch } : branch,
            `${path}/${key}/${i}`,
            depth,
          ),
        ),
      );
    }
    if (s.const !== undefined) return literal(JSON.stringify(s.const));
    if (s.enum !== undefined) {
      if (!Array.isArray(s.enum) || s.enum.length === 0) this.fail(`${path}/enum`, 'must be a non-empty array');
      const types = this.types(s, path);
      const values = s.enum.filter((v) => types === undefined || types.some((t) => valueHasType(v, t)));
      return alt(...values.map((v) => literal(JSON.stringify(v))));
    }
    const types = this.types(s, path) ?? inferTypes(s);
    if (types === undefined) return anyJson(this.maxDepth - depth);
    const nullable = s.nullable === true && !types.includes('null');
    return alt(...types.map((t) => this.typed(t, s, path, depth)), ...(nullable ? [literal('null')] : []));
  }

  private types(s: Schema, path: string): JsonType[] | undefined {
    if (s.type === undefined) return undefined;
    const list = Array.isArray(s.type) ? s.type : [s.type];
    for (const t of list) {
      if (!(TYPES as readonly unknown[]).includes(t)) this.fail(`${path}/type`, `unknown type ${JSON.stringify(t)}`);
    }
    return list as JsonType[];
  }

  private ref(s: Schema, path: string, depth: number): Pattern {
    const ref = s.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#'))
      this.fail(`${path}/$ref`, 'only local references ("#", "#/$defs/…") are supported');
    const target = resolvePointer(this.root, ref);
    if (target === undefined) this.fail(`${path}/$ref`, `${JSON.stringify(ref)} does not resolve`);
    const times = this.expanding.get(ref) ?? 0;
    if (times >= this.maxDepth) return NOTHING; // recursion bound: this branch cannot be taken here
    this.expanding.set(ref, times + 1);
    try {
      return this.value(target, ref, depth);
    } finally {
      this.expanding.set(ref, times);
    }
  }

  private typed(type: JsonType, s: Schema, path: string, depth: number): Pattern {
    switch (type) {
      case 'null':
        return literal('null');
      case 'boolean':
        return alt(literal('true'), literal('false'));
      case 'string':
        return this.string(s, path);
      case 'integer':
      case 'number':
        return this.number(type, s, path);
      case 'array':
        return this.array(s, path, depth);
      case 'object':
        return this.object(s, path, depth);
    }
  }

  private object(s: Schema, path: string, depth: number): Pattern {
    const properties = s.properties;
    if (properties === undefined || (isObject(properties) && Object.keys(properties).length === 0)) {
      // No declared properties: `{}` when nothing else is allowed, otherwise any object.
      if (s.additionalProperties === false) return seq(literal('{'), WS, literal('}'));
      if (depth >= this.maxDepth) return seq(literal('{'), WS, literal('}'));
      return freeObject(this.maxDepth - depth);
    }
    if (!isObject(properties)) this.fail(`${path}/properties`, 'must be an object');
    const required = s.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string'))
      this.fail(`${path}/required`, 'must be an array of strings');
    for (const name of required as string[]) {
      if (!(name in properties)) this.fail(`${path}/required`, `"${name}" is required but not among the properties`);
    }
    const members = Object.entries(properties).map(([key, child]) => ({
      pattern: seq(
        literal(JSON.stringify(key)),
        WS,
        literal(':'),
        WS,
        this.value(child, `${path}/properties/${key}`, depth + 1),
      ),
      required: (required as string[]).includes(key),
    }));
    // An optional member whose value cannot be written is left out rather than failing the object.
    const usable = members.filter((m) => m.required || !isNothing(m.pattern));
    return seq(
      literal('{'),
      WS,
      { kind: 'members', members: usable, separator: seq(WS, literal(','), WS) },
      WS,
      literal('}'),
    );
  }

  private array(s: Schema, path: string, depth: number): Pattern {
    const min = this.count(s.minItems, 0, `${path}/minItems`);
    const max = s.maxItems === undefined ? Infinity : this.count(s.maxItems, 0, `${path}/maxItems`);
    if (max < min) this.fail(path, 'maxItems is below minItems');
    const separator = seq(WS, literal(','), WS);
    const open = seq(literal('['), WS);
    const close = seq(WS, literal(']'));
    if (s.prefixItems !== undefined) {
      if (!Array.isArray(s.prefixItems)) this.fail(`${path}/prefixItems`, 'must be an array');
      if (s.items !== false && s.items !== undefined)
        this.fail(`${path}/items`, 'with prefixItems only `items: false` is supported');
      const items = s.prefixItems.map((item, i) => this.value(item, `${path}/prefixItems/${i}`, depth + 1));
      // Every prefix item, in order (a tuple), within min/max.
      const n = Math.min(items.length, max);
      if (n < min) this.fail(path, 'minItems exceeds the tuple length');
      const shapes: Pattern[] = [];
      for (let k = min; k <= n; k++) {
        const parts: Pattern[] = [];
        items.slice(0, k).forEach((item, i) => parts.push(...(i > 0 ? [separator] : []), item));
        shapes.push(seq(...parts));
      }
      return seq(open, alt(...shapes), close);
    }
    const item =
      s.items === undefined || s.items === true
        ? anyJson(this.maxDepth - depth - 1)
        : this.value(s.items, `${path}/items`, depth + 1);
    if (isNothing(item)) return min === 0 ? seq(open, close) : NOTHING;
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT))
      this.fail(path, `minItems / maxItems above ${MAX_REPEAT} are not supported`);
    return seq(open, { kind: 'list', item, separator, min, max }, close);
  }

  private string(s: Schema, path: string): Pattern {
    const minLength = this.count(s.minLength, 0, `${path}/minLength`);
    const maxLength = s.maxLength === undefined ? Infinity : this.count(s.maxLength, 0, `${path}/maxLength`);
    const hasLength = minLength > 0 || maxLength !== Infinity;
    if (hasLength && (minLength > MAX_REPEAT || (maxLength !== Infinity && maxLength > MAX_REPEAT))) {
      this.fail(path, `minLength / maxLength above ${MAX_REPEAT} are not supported`);
    }
    if (s.pattern !== undefined || s.format !== undefined) {
      if (hasLength) this.fail(path, 'minLength / maxLength together with pattern or format are not supported');
      if (s.pattern !== undefined && s.format !== undefined)
        this.fail(path, 'pattern together with format is not supported');
    }
    if (typeof s.pattern === 'string') {
      const anchors = regexAnchors(s.pattern);
      const body = parseRegex(s.pattern, `${this.param}: ${path}/pattern`);
      const any = repeat(chars(...ANY_CHAR), 0, Infinity);
      const searched = seq(...(anchors.start ? [] : [any]), body, ...(anchors.end ? [] : [any]));
      return seq(QUOTE, jsonEscaped(searched), QUOTE);
    }
    if (s.pattern !== undefined) this.fail(`${path}/pattern`, 'must be a string');
    if (s.format !== undefined) {
      const regex = FORMATS[String(s.format)];
      if (!regex)
        this.fail(
          `${path}/format`,
          `the format ${JSON.stringify(s.format)} is not supported (supported: ${Object.keys(FORMATS).join(', ')})`,
        );
      return seq(QUOTE, jsonEscaped(parseRegex(regex, `${path}/format`)), QUOTE);
    }
    if (!hasLength) return FREE_STRING;
    return seq(QUOTE, repeat(STRING_CHAR, minLength, maxLength), QUOTE);
  }

  private number(type: 'integer' | 'number', s: Schema, path: string): Pattern {
    const bound = (key: string): number | undefined => {
      const v = s[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`${path}/${key}`, 'must be a finite number');
      return v;
    };
    const lows = [bound('minimum'), bound('exclusiveMinimum')];
    const highs = [bound('maximum'), bound('exclusiveMaximum')];
    const multipleOf = bound('multipleOf');
    if (multipleOf !== undefined && !(multipleOf === 1 || (type === 'integer' && Number.isInteger(1 / multipleOf)))) {
      this.fail(`${path}/multipleOf`, 'only multipleOf 1 is supported');
    }
    const integer = type === 'integer' || multipleOf === 1;
    if (lows.every((v) => v === undefined) && highs.every((v) => v === undefined)) return integer ? INTEGER : NUMBER;
    // Bounds: integers between ceil(low) and floor(high); numbers add a fraction below the top.
    let lo = -Infinity;
    let hi = Infinity;
    if (lows[0] !== undefined) lo = Math.max(lo, Math.ceil(lows[0]));
    if (lows[1] !== undefined) lo = Math.max(lo, Math.floor(lows[1]) + 1);
    if (highs[0] !== undefined) hi = Math.min(hi, Math.floor(highs[0]));
    if (highs[1] !== undefined) hi = Math.min(hi, Math.ceil(highs[1]) - 1);
    if (lo > hi) this.fail(path, 'no integer lies within the bounds');
    if (integer) return integerRange(lo, hi);
    if (lo === hi) return integerRange(lo, hi);
    // [lo, hi): integer part in [lo, hi − 1] with an optional fraction (for negatives the
    // fraction moves away from zero, so [lo + 1, hi − 1] and lo itself without one), and hi.
    const parts: Pattern[] = [];
    if (lo < 0) {
      parts.push(seq(integerRange(lo === -Infinity ? lo : lo + 1, hi - 1), optional(FRACTION)));
      if (lo !== -Infinity) parts.push(integerRange(lo, lo));
    } else parts.push(seq(integerRange(lo, hi - 1), optional(FRACTION)));
    if (hi !== Infinity) parts.push(integerRange(hi, hi));
    return alt(...parts);
  }
}

/**
 * The language of an answer that calls a tool: the call's JSON (a JSON Schema: the function's
 * arguments, or a `{"name", "arguments"}` object with the name among the offered ones) between
 * an optional prefix and suffix (`<tool_call>` … `</tool_call>` for models trained that way).
 * With `text`, a plain answer is allowed too: any text that does not begin like a call (with
 * the prefix, or without one, with `{` after leading whitespace). The two branches never
 * overlap, so the answer is a call exactly when it begins like one, and whichever the model
 * starts writing, the canvas check keeps it completable.
 */
import { compileJsonSchema } from './json-schema.js';
import { WS } from './json-text.js';
import { alt, chars, EMPTY, literal, type Pattern, seq, star } from './pattern.js';
import { ANY_CHAR, negateRanges } from './regex.js';

export interface ToolCallLanguage {
  /** The call's JSON Schema. */
  readonly schema: Record<string, unknown> | boolean;
  readonly prefix: string;
  readonly suffix: string;
  /** Whether a plain text answer is allowed too. */
  readonly text: boolean;
  readonly maxDepth: number;
  readonly param: string;
}

const ANY_TEXT = star(chars(...ANY_CHAR));

export function toolCallPattern(language: ToolCallLanguage): Pattern {
  const json = compileJsonSchema(language.schema, { maxDepth: language.maxDepth, param: language.param });
  const call = seq(literal(language.prefix), json, literal(language.suffix));
  return language.text ? alt(call, textNotStartingWith(language.prefix)) : call;
}

/** Texts that do not begin like a call. */
function textNotStartingWith(prefix: string): Pattern {
  if (prefix === '') {
    // Whitespace only, or whitespace then a first character other than `{` and whitespace.
    const first = chars(
      ...negateRanges([
        [0x09, 0x0a],
        [0x0d, 0x0d],
        [0x20, 0x20],
        [0x7b, 0x7b],
      ]),
    );
    return seq(WS, alt(EMPTY, seq(first, ANY_TEXT)));
  }
  // A proper beginning of the prefix, or a beginning of it followed by another character.
  const points = Array.from(prefix, (c) => c.codePointAt(0) as number);
  const branches: Pattern[] = [];
  for (let i = 0; i < points.length; i++) {
    const head = literal(String.fromCodePoint(...points.slice(0, i)));
    const cp = points[i] as number;
    branches.push(head);
    branches.push(seq(head, chars(...negateRanges([[cp, cp]])), ANY_TEXT));
  }
  return alt(...branches);
}

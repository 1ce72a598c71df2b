/**
 * A constraint compiled against one vocabulary: the language's automaton, the tokens' surfaces
 * in two tries (the answer's first token may decode differently), and a cache of where each
 * automaton state goes on one token. Compiled once per (constraint, bundle) and shared by every
 * request using it; `track` starts the per-request canvas check.
 */
import { z } from 'zod';
import { UnmaskError } from '../../errors.js';
import type { TextTokenizer } from '../../tokenizer/text-tokenizer.js';
import { ByteDfa, DEAD } from './byte-automaton.js';
import { CanvasCheck } from './canvas-check.js';
import { compileJsonSchema } from './json-schema.js';
import { anyJsonObject } from './json-text.js';
import { alt, literal, type Pattern } from './pattern.js';
import { parseRegex } from './regex.js';
import { checkSurfaces, tokenSurfaces, type TokenSurfaces } from './token-surfaces.js';
import { toolCallPattern } from './tool-call.js';
import { type TokenMoves, TokenTrie } from './token-trie.js';

const UTF8 = new TextEncoder();

/** What an answer must be. */
export const constraintSpecSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('json_schema'),
      schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]),
      /** Levels of nesting for free-form JSON and recursive references (default 5). */
      max_depth: z.number().int().min(1).max(10).optional(),
    })
    .strict(),
  z.object({ type: z.literal('json_object'), max_depth: z.number().int().min(1).max(10).optional() }).strict(),
  z.object({ type: z.literal('regex'), pattern: z.string().min(1) }).strict(),
  z.object({ type: z.literal('choice'), choices: z.array(z.string()).min(1).max(10_000) }).strict(),
  /** A tool call (tool-call.ts): `schema`'s JSON between `prefix` and `suffix`, or with `text` a plain answer. */
  z
    .object({
      type: z.literal('tool_call'),
      schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]),
      prefix: z.string().default(''),
      suffix: z.string().default(''),
      text: z.boolean().default(false),
      max_depth: z.number().int().min(1).max(10).optional(),
    })
    .strict(),
]);
export type ConstraintSpec = z.input<typeof constraintSpecSchema>;

/** The pattern of a constraint's texts. */
export function constraintPattern(input: ConstraintSpec, param = 'constraint'): Pattern {
  const spec = constraintSpecSchema.parse(input);
  switch (spec.type) {
    case 'json_schema':
      return compileJsonSchema(spec.schema, { maxDepth: spec.max_depth ?? 5, param });
    case 'json_object':
      return anyJsonObject({ maxDepth: spec.max_depth ?? 5 });
    case 'regex':
      return parseRegex(spec.pattern, param);
    case 'choice':
      return alt(...spec.choices.map(literal));
    case 'tool_call':
      return toolCallPattern({ ...spec, maxDepth: spec.max_depth ?? 5, param });
  }
}

/**
 * Whether `text` is in the constraint's language (its automaton run over the UTF-8 bytes): which
 * of several schemas an answer satisfies, without a JSON Schema validator.
 */
export function matchesConstraint(spec: ConstraintSpec, text: string, param = 'constraint'): boolean {
  const dfa = new ByteDfa(constraintPattern(spec, param));
  const end = dfa.start === DEAD ? DEAD : dfa.walk(dfa.start, new TextEncoder().encode(text));
  return end !== DEAD && dfa.isAccepting(end);
}

/**
 * A tokenizer's vocabulary as the constraint sees it: every token's surface and the tries.
 * Built once per bundle (the tries of a 150,000-token vocabulary take about a second).
 */
export class ConstraintVocabulary {
  readonly rest: TokenTrie;
  readonly first: TokenTrie;

  private constructor(
    readonly surfaces: TokenSurfaces,
    /** Ids the model may predict (its logits' width). */
    readonly size: number,
  ) {
    this.rest = new TokenTrie(surfaces.rest);
    this.first = surfaces.firstDiffers ? new TokenTrie(surfaces.first) : this.rest;
  }

  /**
   * Reads the surfaces of `tokenizer`'s tokens below `size`, leaving out `exclude` (EOS, padding,
   * mask) and added tokens, and checks them against the tokenizer's own decoding.
   */
  static of(tokenizer: TextTokenizer, size: number, exclude: Iterable<number>): ConstraintVocabulary {
    const surfaces = tokenSurfaces(tokenizer, exclude, size);
    checkSurfaces(tokenizer, surfaces);
    return new ConstraintVocabulary(surfaces, size);
  }

  /** For tests and tools: a vocabulary from surfaces given directly. */
  static fromSurfaces(surfaces: TokenSurfaces, size: number): ConstraintVocabulary {
    return new ConstraintVocabulary(surfaces, size);
  }

  /** The bytes token `id` adds at answer position `position` (null: never allowed). */
  surface(id: number, position: number): Uint8Array | null {
    const table = position === 0 ? this.surfaces.first : this.surfaces.rest;
    return table[id] ?? null;
  }
}

export class TokenConstraint {
  readonly dfa: ByteDfa;
  private readonly movesRest = new Map<number, TokenMoves>();
  private readonly movesFirst = new Map<number, TokenMoves>();
  private walks = 0;

  constructor(
    readonly spec: ConstraintSpec,
    readonly vocabulary: ConstraintVocabulary,
    pattern: Pattern = constraintPattern(spec),
  ) {
    this.dfa = new ByteDfa(pattern);
    if (this.dfa.start === DEAD) {
      throw new UnmaskError('invalid_parameter', 'the constraint matches no text', 'constraint');
    }
  }

  /** Whether `text` (its UTF-8 bytes) is in the constraint's language. */
  accepts(text: string): boolean {
    const end = this.dfa.walk(this.dfa.start, UTF8.encode(text));
    return end !== DEAD && this.dfa.isAccepting(end);
  }

  /** Where one token takes `state`, for the answer's first position or any other. */
  moves(state: number, first: boolean): TokenMoves {
    const cache = first ? this.movesFirst : this.movesRest;
    let moves = cache.get(state);
    if (!moves) {
      moves = (first ? this.vocabulary.first : this.vocabulary.rest).moves(this.dfa, state);
      cache.set(state, moves);
      this.walks += 1;
    }
    return moves;
  }

  /** Automaton states and trie walks so far (the cost report). */
  get stats(): { nfaStates: number; dfaStates: number; walks: number } {
    return { nfaStates: this.dfa.nfaStates, dfaStates: this.dfa.size, walks: this.walks };
  }

  /** Starts the check of one request's canvas. */
  track(options: { length: number; maskTokenId: number; eosTokenId: number }): CanvasCheck {
    return new CanvasCheck(this, options.length, options.maskTokenId, options.eosTokenId);
  }
}

/** Compiles `spec` against `vocabulary`; errors name `param`. */
export function compileConstraint(
  spec: unknown,
  vocabulary: ConstraintVocabulary,
  param = 'constraint',
): TokenConstraint {
  const parsed = constraintSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [param, ...(issue?.path ?? [])].join('.');
    throw new UnmaskError('invalid_parameter', `${path}: ${issue?.message ?? 'invalid'}`, path);
  }
  return new TokenConstraint(parsed.data, vocabulary, constraintPattern(parsed.data, param));
}

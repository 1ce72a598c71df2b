/**
 * Constraints compiled against one bundle: its vocabulary (token surfaces and tries, built on
 * first use) and the most recently used compiled constraints, so that requests repeating a
 * schema reuse its automaton and token moves.
 */
import {
  compileConstraint,
  ConstraintVocabulary,
  type Bundle,
  type ConstraintSpec,
  type TokenConstraint,
} from '@unmask/core';

/** Compiled constraints kept per bundle. */
export const CONSTRAINT_CACHE_SIZE = 32;

export class ConstraintCache {
  private vocabulary: ConstraintVocabulary | undefined;
  /** Why the vocabulary cannot be built (an unsupported decoder), once known. */
  private failure: unknown;
  private readonly compiled = new Map<string, TokenConstraint>();

  constructor(private readonly bundle: Bundle) {}

  /** The compiled constraint for `spec`; errors name `param`. */
  get(spec: ConstraintSpec, param: string): TokenConstraint {
    const key = JSON.stringify(spec);
    const known = this.compiled.get(key);
    if (known) {
      this.compiled.delete(key);
      this.compiled.set(key, known);
      return known;
    }
    const constraint = compileConstraint(spec, this.tokens(), param);
    if (this.compiled.size >= CONSTRAINT_CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value as string);
    this.compiled.set(key, constraint);
    return constraint;
  }

  /**
   * The bytes token `id` adds at answer position `position` (its surface); special tokens, and
   * every token of a tokenizer whose decoder has no surfaces, fall back to `decode([id])`.
   */
  tokenBytes(id: number, position: number, decode: (ids: readonly number[]) => string): Uint8Array {
    let surface: Uint8Array | null = null;
    try {
      surface = this.tokens().surface(id, position);
    } catch {
      // A decoder without surfaces (tokenSurfaces refuses it): the token's own decoding.
    }
    return surface ?? new TextEncoder().encode(decode([id]));
  }

  private tokens(): ConstraintVocabulary {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.vocabulary ??= ConstraintVocabulary.of(this.bundle.tokenizer, this.bundle.info.vocabSize, [
        this.bundle.info.eosTokenId,
        this.bundle.info.padTokenId,
        this.bundle.info.maskTokenId,
        ...Object.values(this.bundle.specialTokens).flatMap((t) => (t ? [t.id] : [])),
      ]);
    } catch (error) {
      this.failure = error;
      throw error;
    }
    return this.vocabulary;
  }
}

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
    this.vocabulary ??= ConstraintVocabulary.of(this.bundle.tokenizer, this.bundle.info.vocabSize, [
      this.bundle.info.eosTokenId,
      this.bundle.info.padTokenId,
      this.bundle.info.maskTokenId,
      ...Object.values(this.bundle.specialTokens).flatMap((t) => (t ? [t.id] : [])),
    ]);
    const constraint = compileConstraint(spec, this.vocabulary, param);
    if (this.compiled.size >= CONSTRAINT_CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value as string);
    this.compiled.set(key, constraint);
    return constraint;
  }
}

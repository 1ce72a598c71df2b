/**
 * Decoding strategies, selectable by name with validated parameters. The zod schema is the one
 * source of the accepted shape (the CLI and the HTTP API validate through it); `resolveStrategy`
 * then checks the parameters against the answer length and builds the commit rule.
 *
 * | name | rule |
 * | --- | --- |
 * | `low_confidence` | LLaDA fixed steps: `steps` over the answer, `block_length`, `remasking` |
 * | `confident` | Dimple: every mask with confidence > `threshold` commits; schedule fallback |
 * | `threshold` | Fast-dLLM: top-1 plus every mask with confidence ≥ `threshold` |
 * | `factor` | Fast-dLLM factor rule with `factor` f |
 * | `ascending` | 2^i tokens at step i of each block |
 * | `prophet` | LLaDA fixed steps with Prophet's early commit switched on |
 *
 * Every strategy also takes `block_length` (semi-autoregressive blocks; default: the whole
 * answer), `confidence` (`probability` | `margin` | `neg_entropy`), `eos_gamma` (EOS early
 * rejection; 1 = off), `eos_fill` (end-of-text prediction; default on) and `early_commit`
 * (Prophet's rule; `true` for its defaults or an object with `thresholds` and `boundaries`).
 */
import { z } from 'zod';
import { UnmaskError } from '../errors.js';
import { CONFIDENCE_KINDS, type ConfidenceKind } from './confidence.js';
import { earlyCommitSchema, type EarlyCommitOptions } from './early-commit.js';
import type { CommitRule } from './strategies/commit-rule.js';
import { ascendingSteps } from './strategies/ascending-steps.js';
import { confidentDecoding } from './strategies/confident-decoding.js';
import { lowConfidenceRemasking } from './strategies/low-confidence-remasking.js';
import { factorDecoding, thresholdDecoding } from './strategies/threshold-decoding.js';

const tau = z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]');
const common = {
  block_length: z.number().int().min(1).optional(),
  confidence: z.enum(CONFIDENCE_KINDS).default('probability'),
  eos_gamma: z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]').default(1),
  eos_fill: z.boolean().default(true),
  early_commit: z.union([z.boolean(), earlyCommitSchema]).default(false),
};
const steps = z.number().int().min(1, 'must be at least 1').optional();

export const strategySchema = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('low_confidence'),
      steps,
      remasking: z.enum(['low_confidence', 'random']).default('low_confidence'),
      ...common,
    })
    .strict(),
  z.object({ name: z.literal('confident'), threshold: tau.default(0.9), steps, ...common }).strict(),
  z.object({ name: z.literal('threshold'), threshold: tau.default(0.9), ...common }).strict(),
  z.object({ name: z.literal('factor'), factor: z.number().positive().max(10).default(1), ...common }).strict(),
  z.object({ name: z.literal('ascending'), ...common }).strict(),
  z
    .object({
      name: z.literal('prophet'),
      steps,
      ...common,
      early_commit: z.union([z.literal(true), earlyCommitSchema]).default(true),
    })
    .strict(),
]);
export type StrategySpec = z.infer<typeof strategySchema>;
export type StrategyInput = z.input<typeof strategySchema>;
export type StrategyName = StrategySpec['name'];
export const STRATEGY_NAMES = strategySchema.options.map((o) => o.shape.name.value) as StrategyName[];

/** A strategy ready to run on an answer of known length. */
export interface ResolvedStrategy {
  readonly spec: StrategySpec;
  readonly blockLength: number;
  readonly confidence: ConfidenceKind;
  readonly eosGamma: number;
  readonly eosFill: boolean;
  readonly earlyCommit: EarlyCommitOptions | undefined;
  readonly rule: CommitRule;
}

/** Validates untrusted input (CLI flags, an HTTP body) into a strategy spec. */
export function parseStrategy(input: unknown, param = 'strategy'): StrategySpec {
  if (typeof input === 'object' && input !== null && 'name' in input) {
    const name = (input as { name: unknown }).name;
    if (typeof name !== 'string' || !(STRATEGY_NAMES as string[]).includes(name)) {
      throw new UnmaskError(
        'invalid_parameter',
        `unknown strategy ${JSON.stringify(name)}; known: ${STRATEGY_NAMES.join(', ')}`,
        `${param}.name`,
      );
    }
  }
  const parsed = strategySchema.safeParse(input ?? { name: 'confident' });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [param, ...(issue?.path ?? [])].join('.');
    throw new UnmaskError('invalid_parameter', `${path}: ${issue?.message ?? 'invalid'}`, path);
  }
  return parsed.data;
}

/** Checks the parameters against the answer's length and builds the commit rule. */
export function resolveStrategy(spec: StrategySpec, answerLength: number, param = 'strategy'): ResolvedStrategy {
  const blockLength = spec.block_length ?? Math.max(1, answerLength);
  if (answerLength > 0 && answerLength % blockLength !== 0) {
    throw new UnmaskError(
      'invalid_parameter',
      `${param}.block_length (${blockLength}) must divide the answer length (${answerLength})`,
      `${param}.block_length`,
    );
  }
  const blocks = Math.max(1, Math.ceil(answerLength / blockLength));
  const stepsPerBlock = (steps: number | undefined): number => {
    const total = steps ?? Math.max(1, answerLength);
    if (total % blocks !== 0) {
      throw new UnmaskError(
        'invalid_parameter',
        `${param}.steps (${total}) must be a multiple of the number of blocks (${blocks})`,
        `${param}.steps`,
      );
    }
    if (answerLength > 0 && total > answerLength) {
      throw new UnmaskError(
        'invalid_parameter',
        `${param}.steps (${total}) exceeds the answer length (${answerLength})`,
        `${param}.steps`,
      );
    }
    return total / blocks;
  };
  let rule: CommitRule;
  switch (spec.name) {
    case 'low_confidence':
      rule = lowConfidenceRemasking(stepsPerBlock(spec.steps), spec.remasking);
      break;
    case 'prophet':
      rule = lowConfidenceRemasking(stepsPerBlock(spec.steps), 'low_confidence');
      break;
    case 'confident':
      rule = confidentDecoding(spec.threshold, stepsPerBlock(spec.steps));
      break;
    case 'threshold':
      rule = thresholdDecoding(spec.threshold);
      break;
    case 'factor':
      rule = factorDecoding(spec.factor);
      break;
    case 'ascending':
      rule = ascendingSteps();
      break;
  }
  const early = spec.early_commit;
  return {
    spec,
    blockLength,
    confidence: spec.confidence,
    eosGamma: spec.eos_gamma,
    eosFill: spec.eos_fill,
    earlyCommit: early === false ? undefined : early === true ? earlyCommitSchema.parse({}) : early,
    rule,
  };
}

/**
 * Decoding strategies resolved for a run: `parseStrategy` validates untrusted input through the
 * one schema (options/strategy-options.ts, where the strategies and their parameters are
 * listed); `resolveStrategy` then checks the parameters against the answer length and builds
 * the commit rule.
 */
import { UnmaskError } from '../errors.js';
import {
  earlyCommitSchema,
  STRATEGY_NAMES,
  strategySchema,
  type ConfidenceKind,
  type EarlyCommitOptions,
  type StrategySpec,
} from '../options/strategy-options.js';
import type { CommitRule } from './strategies/commit-rule.js';
import { ascendingSteps } from './strategies/ascending-steps.js';
import { confidentDecoding } from './strategies/confident-decoding.js';
import { lowConfidenceRemasking } from './strategies/low-confidence-remasking.js';
import { factorDecoding, thresholdDecoding } from './strategies/threshold-decoding.js';

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

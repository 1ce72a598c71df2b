/**
 * Decoding strategies resolved for a run: `parseStrategy` validates untrusted input through the
 * one schema (options/strategy-options.ts, where the strategies and their parameters are
 * listed); `resolveStrategy` fills what the spec leaves out with the built-in defaults (the
 * model's own were merged beneath the request before: decoding-defaults.ts), checks the
 * parameters against the answer length, and builds the commit rule.
 */
import { UnmaskError } from '../errors.js';
import {
  DEFAULT_STRATEGY,
  type DreamAlg,
  earlyCommitSchema,
  type EarlyCommitOptions,
  STRATEGY_NAMES,
  strategySchema,
  type StrategySpec,
} from '../options/strategy-options.js';
import type { ConfidenceMeasure } from './confidence.js';
import { ascendingSteps } from './strategies/ascending-steps.js';
import type { CommitRule } from './strategies/commit-rule.js';
import { confidentDecoding } from './strategies/confident-decoding.js';
import { epsScheduleDecoding } from './strategies/eps-schedule-decoding.js';
import { factorDecoding } from './strategies/factor-decoding.js';
import { lowConfidenceRemasking } from './strategies/low-confidence-remasking.js';
import { thresholdDecoding } from './strategies/threshold-decoding.js';

/** A strategy ready to run on an answer of known length. */
export interface ResolvedStrategy {
  readonly spec: StrategySpec;
  readonly blockLength: number;
  /** Total steps of a fixed schedule (`steps`, else the answer length): Prophet's progress denominator. */
  readonly totalSteps: number;
  readonly measure: ConfidenceMeasure;
  readonly useOriginalConfidence: boolean;
  /** The mask token's logit stays in the confidence softmax (upstream); false: −∞ first (built-in). */
  readonly keepMaskLogit: boolean;
  readonly eosGamma: number;
  readonly eosFill: boolean;
  readonly earlyCommit: EarlyCommitOptions | undefined;
  readonly cfgScale: number;
  readonly logitsEosInf: boolean;
  readonly confidenceEosEotInf: boolean;
  readonly suppressTokens: readonly number[];
  readonly stopTokens: readonly number[];
  /** Fast-dLLM's block-wise Dream: each block's first pass commits only the block's first position. */
  readonly commitBlockStart: boolean;
  readonly rule: CommitRule;
}

function invalid(message: string, param: string): UnmaskError {
  return new UnmaskError('invalid_parameter', message, param);
}

/** Validates untrusted input (CLI flags, an HTTP body, merged defaults) into a strategy spec. */
export function parseStrategy(input: unknown, param = 'strategy'): StrategySpec {
  if (typeof input === 'object' && input !== null && 'name' in input) {
    const name = (input as { name: unknown }).name;
    if (typeof name !== 'string' || !(STRATEGY_NAMES as string[]).includes(name)) {
      throw invalid(`unknown strategy ${JSON.stringify(name)}; known: ${STRATEGY_NAMES.join(', ')}`, `${param}.name`);
    }
  }
  const parsed = strategySchema.safeParse(input ?? { name: DEFAULT_STRATEGY });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [param, ...(issue?.path ?? [])].join('.');
    throw invalid(`${path}: ${issue?.message ?? 'invalid'}`, path);
  }
  const spec = parsed.data;
  if ('alg' in spec && spec.alg !== undefined && spec.confidence !== undefined) {
    throw invalid(
      `${param}: give either alg (${spec.alg}) or confidence (${spec.confidence}), not both`,
      `${param}.confidence`,
    );
  }
  return spec;
}

const ALG_MEASURE: Record<DreamAlg, ConfidenceMeasure> = {
  origin: 'probability',
  maskgit_plus: 'probability',
  topk_margin: 'margin',
  entropy: 'entropy',
};

/** Checks the parameters against the answer's length and builds the commit rule. */
export function resolveStrategy(spec: StrategySpec, answerLength: number, param = 'strategy'): ResolvedStrategy {
  // A block longer than the answer is the whole answer (a model's default block on a short answer).
  const blockLength = Math.min(spec.block_length ?? Math.max(1, answerLength), Math.max(1, answerLength));
  if (answerLength > 0 && answerLength % blockLength !== 0) {
    throw invalid(
      `${param}.block_length (${blockLength}) must divide the answer length (${answerLength})`,
      `${param}.block_length`,
    );
  }
  const blocks = Math.max(1, Math.ceil(answerLength / blockLength));
  const totalSteps = ('steps' in spec ? spec.steps : undefined) ?? Math.max(1, answerLength);
  const stepsPerBlock = (): number => {
    if (totalSteps % blocks !== 0) {
      throw invalid(
        `${param}.steps (${totalSteps}) must be a multiple of the number of blocks (${blocks})`,
        `${param}.steps`,
      );
    }
    if (answerLength > 0 && totalSteps > answerLength) {
      throw invalid(`${param}.steps (${totalSteps}) exceeds the answer length (${answerLength})`, `${param}.steps`);
    }
    return totalSteps / blocks;
  };
  const algOf = (name: 'dream' | 'confident'): DreamAlg | undefined =>
    'alg' in spec && spec.alg !== undefined
      ? spec.alg
      : spec.confidence === undefined && name === 'dream'
        ? 'entropy'
        : undefined;
  let measure: ConfidenceMeasure = spec.confidence ?? 'probability';
  let rule: CommitRule;
  switch (spec.name) {
    case 'low_confidence':
    case 'prophet':
      rule = lowConfidenceRemasking(stepsPerBlock(), spec.remasking ?? 'low_confidence');
      break;
    case 'dream': {
      const a = algOf('dream');
      if (a) measure = ALG_MEASURE[a];
      rule = epsScheduleDecoding({
        stepsPerBlock: stepsPerBlock(),
        eps: spec.eps ?? 1e-3,
        origin: a === 'origin',
        algTemp: spec.alg_temp,
      });
      break;
    }
    case 'confident': {
      const a = algOf('confident');
      if (a) measure = ALG_MEASURE[a];
      rule = confidentDecoding({
        threshold: spec.threshold ?? 0.9,
        stepsPerBlock: stepsPerBlock(),
        eps: spec.eps ?? 1e-3,
        origin: a === 'origin',
        algTemp: spec.alg_temp,
      });
      break;
    }
    case 'threshold':
      rule = thresholdDecoding(spec.threshold ?? 0.9);
      break;
    case 'factor':
      rule = factorDecoding(spec.factor ?? 1);
      break;
    case 'ascending':
      rule = ascendingSteps();
      break;
  }
  const early = spec.early_commit ?? spec.name === 'prophet';
  return {
    spec,
    blockLength,
    totalSteps,
    measure,
    useOriginalConfidence: spec.use_original_confidence ?? true,
    keepMaskLogit: spec.keep_mask_logit ?? false,
    eosGamma: spec.eos_gamma ?? 1,
    eosFill: spec.eos_fill ?? true,
    earlyCommit: early === false ? undefined : early === true ? earlyCommitSchema.parse({}) : early,
    cfgScale: spec.cfg_scale ?? 0,
    logitsEosInf: spec.logits_eos_inf ?? false,
    confidenceEosEotInf: spec.confidence_eos_eot_inf ?? false,
    suppressTokens: spec.suppress_tokens ?? [],
    stopTokens: spec.stop_tokens ?? [],
    commitBlockStart: 'commit_block_start' in spec ? (spec.commit_block_start ?? false) : false,
    rule,
  };
}

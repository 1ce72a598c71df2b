export {
  DecodingEngine,
  decode,
  type DecodeStream,
  type EngineOptions,
  type SharedPrefixContext,
} from './decoding-engine.js';
export { PrefixCache, prefixKey, type PrefixCacheStats } from './prefix-cache.js';
export { MAX_TOP_LOGPROBS, type GenerateRequest } from './request.js';
export type { CommittedToken, DecodeResult, FinishReason, StepEvent, TokenLogprob } from './events.js';
export { parseStrategy, resolveStrategy } from './strategy.js';
export { withStrategyDefaults } from './decoding-defaults.js';
export type { RandomSource } from './random.js';
export {
  responseTemplateSchema,
  plainTemplate,
  templateLength,
  type ResponseTemplate,
  type TemplatePart,
} from './template.js';
export { AnswerLayout, type AnswerEnds, type AnswerRead } from './answer-layout.js';
export {
  compileConstraint,
  constraintPattern,
  constraintSpecSchema,
  matchesConstraint,
  ConstraintVocabulary,
  TokenConstraint,
  CanvasCheck,
  type ConstraintSpec,
} from './constraints/index.js';
export {
  chooseAnswerLength,
  eosConfidence,
  DAEDAL_DEFAULTS,
  type ChosenLength,
  type LengthOptions,
} from './answer-length.js';

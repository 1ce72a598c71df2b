export { DecodingEngine, decode, type DecodeStream, type EngineOptions } from './decoding-engine.js';
export type { GenerateRequest } from './request.js';
export type { CommittedToken, DecodeResult, FinishReason, StepEvent } from './events.js';
export {
  strategySchema,
  parseStrategy,
  resolveStrategy,
  STRATEGY_NAMES,
  type StrategySpec,
  type StrategyInput,
  type StrategyName,
} from './strategy.js';
export { samplingOptionsSchema, type SamplingOptions, type SamplingInput } from './sampling.js';
export { CONFIDENCE_KINDS, type ConfidenceKind } from './confidence.js';
export { CACHE_MODES, type CacheMode } from './kv-cache-policy.js';
export { earlyCommitSchema, type EarlyCommitOptions } from './early-commit.js';
export {
  responseTemplateSchema,
  plainTemplate,
  templateLength,
  type ResponseTemplate,
  type TemplatePart,
} from './template.js';
export { scaffoldFromJsonSchema, type ScaffoldOptions } from './schema-scaffold.js';

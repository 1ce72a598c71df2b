/**
 * `@unmask/core/options`: the option schemas of a generation request (strategy, sampling, cache
 * mode), for code that validates requests without running a model (libs/protocol, the demo).
 * Node-free: these modules import zod and each other, nothing else (tools/scripts/import-graph.mjs
 * checks it).
 */
export {
  strategySchema,
  earlyCommitSchema,
  commonStrategyOptions,
  STRATEGY_NAMES,
  DEFAULT_STRATEGY,
  DREAM_ALGS,
  CONFIDENCE_KINDS,
  type DreamAlg,
  type StrategySpec,
  type StrategyInput,
  type StrategyName,
  type ConfidenceKind,
  type EarlyCommitOptions,
} from './strategy-options.js';
export { samplingOptionsSchema, type SamplingOptions, type SamplingInput } from './sampling-options.js';
export { CACHE_MODES, type CacheMode } from './cache-modes.js';
export { decodingDefaultsSchema, type DecodingDefaults } from './decoding-defaults.js';

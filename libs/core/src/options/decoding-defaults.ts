/**
 * A model family's decoding defaults (the bundle manifest's `decoding` section with its tokens
 * resolved to ids): what a request gets for everything it does not name. Layering, field by
 * field: the request, then these defaults, then the engine's built-in defaults (`strategy.ts`,
 * which are what a bundle without the section gets).
 *
 * - `strategy`: the strategy when the request names none;
 * - `parameters[name]`: defaults of that strategy's own parameters, whichever strategy the request names;
 * - `options`: strategy options every strategy takes (`eos_fill`, `use_original_confidence`,
 *   `stop_tokens`, `suppress_tokens`, …);
 * - `sampling`: temperature, top-p, top-k; `max_tokens`; `cache`;
 * - `eot_token_id`: the end-of-turn token LLaDA's `confidence_eos_eot_inf` reads.
 *
 * Node-free: the schema only; decoding/decoding-defaults.ts applies it.
 */
import { z } from 'zod';
import { CACHE_MODES } from './cache-modes.js';
import { STRATEGY_NAMES, type StrategyName } from './strategy-options.js';

const name = z.enum(STRATEGY_NAMES as [StrategyName, ...StrategyName[]]);

export const decodingDefaultsSchema = z
  .object({
    strategy: name,
    parameters: z.partialRecord(name, z.record(z.string(), z.unknown())).optional(),
    options: z.record(z.string(), z.unknown()).optional(),
    sampling: z
      .object({
        temperature: z.number().min(0).max(100).optional(),
        top_p: z.number().gt(0).max(1).optional(),
        top_k: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
    max_tokens: z.number().int().min(1).optional(),
    cache: z.enum(CACHE_MODES).optional(),
    eot_token_id: z.number().int().nonnegative().optional(),
  })
  .strict();
export type DecodingDefaults = z.infer<typeof decodingDefaultsSchema>;

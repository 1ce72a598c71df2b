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
 */
import type { DecodingDefaults } from '../options/decoding-defaults.js';
import { DEFAULT_STRATEGY, type StrategyName } from '../options/strategy-options.js';

export type { DecodingDefaults } from '../options/decoding-defaults.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The strategy input with the defaults beneath it. A request may name a strategy, give only some
 * parameters (then the default strategy's name is used), or nothing at all. Anything that is not
 * an object is returned as it is, for the schema to refuse.
 */
export function withStrategyDefaults(input: unknown, defaults: DecodingDefaults | undefined): unknown {
  if (input !== undefined && !isObject(input)) return input;
  const given = input ?? {};
  const name = 'name' in given ? given.name : (defaults?.strategy ?? DEFAULT_STRATEGY);
  if (!defaults) return { ...given, name };
  const own = typeof name === 'string' ? defaults.parameters?.[name as StrategyName] : undefined;
  return { ...defaults.options, ...own, ...given, name };
}

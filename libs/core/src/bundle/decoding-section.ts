/**
 * The manifest's `decoding` section → the engine's `DecodingDefaults`: token strings resolved to
 * ids, and every strategy the section names checked by the strategy schema, so that a bad
 * section fails when the bundle loads (naming the field), not on the first request.
 */
import { UnmaskError } from '../errors.js';
import type { DecodingDefaults } from '../decoding/decoding-defaults.js';
import { parseStrategy } from '../decoding/strategy.js';
import type { StrategyName } from '../options/strategy-options.js';
import type { DecodingSection, TokenRef } from './manifest.js';

export function resolveDecodingSection(
  section: DecodingSection,
  resolveToken: (ref: TokenRef, field: string) => { id: number },
  file: string,
): DecodingDefaults {
  const ids = (refs: readonly TokenRef[] | undefined, field: string) =>
    refs?.map((ref, i) => resolveToken(ref, `decoding.${field}[${i}]`).id);
  const stop = ids(section.stop_tokens, 'stop_tokens');
  const suppress = ids(section.suppress_tokens, 'suppress_tokens');
  const options = {
    ...section.options,
    ...(stop ? { stop_tokens: stop } : {}),
    ...(suppress ? { suppress_tokens: suppress } : {}),
  };
  const check = (name: StrategyName, field: string) => {
    try {
      parseStrategy({ ...options, ...section.parameters?.[name], name }, field);
    } catch (error) {
      throw new UnmaskError('invalid_bundle', `${file}: ${(error as Error).message}`, `${file}:${field}`);
    }
  };
  for (const name of Object.keys(section.parameters ?? {}) as StrategyName[])
    check(name, `decoding.parameters.${name}`);
  check(section.strategy, 'decoding');
  return {
    strategy: section.strategy,
    ...(section.parameters ? { parameters: section.parameters } : {}),
    options,
    ...(section.sampling ? { sampling: section.sampling } : {}),
    ...(section.max_tokens === undefined ? {} : { max_tokens: section.max_tokens }),
    ...(section.cache === undefined ? {} : { cache: section.cache }),
    ...(section.eot_token === undefined
      ? {}
      : { eot_token_id: resolveToken(section.eot_token, 'decoding.eot_token').id }),
  };
}

/**
 * Edits to a masked position's logits before its token and confidence are read. Each processor
 * rewrites one row in place; the session runs them in order, so other rules (a grammar, say)
 * plug in as one more processor.
 * - `suppress_tokens` (LLaDA-V's `generate_with_embeds`: 126081, 126080, 126346, 126347 at masked
 *   positions): those ids get −∞.
 * - `logits_eos_inf` (LLaDA's `generate`): the EOS id gets −∞, so EOS is never chosen.
 */
export type LogitProcessor = (row: Float32Array, position: number) => void;

export function suppressTokens(ids: readonly number[]): LogitProcessor {
  return (row) => {
    for (const id of ids) if (id < row.length) row[id] = -Infinity;
  };
}

export interface LogitProcessorOptions {
  readonly suppressTokens: readonly number[];
  readonly logitsEosInf: boolean;
  readonly eosTokenId: number;
}

export function logitProcessors(options: LogitProcessorOptions): LogitProcessor[] {
  const out: LogitProcessor[] = [];
  if (options.suppressTokens.length > 0) out.push(suppressTokens(options.suppressTokens));
  if (options.logitsEosInf) out.push(suppressTokens([options.eosTokenId]));
  return out;
}

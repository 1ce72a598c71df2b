/** One line of `unmask ask --jsonl FILE`: a prompt, optional media paths, optional strategy fields. */
import { z } from 'zod';

export const jsonlRequestSchema = z
  .object({
    prompt: z.string().min(1),
    image: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    audio: z.string().min(1).optional(),
    strategy: z.string().optional(),
    max_tokens: z.number().int().min(1).optional(),
    seed: z.number().int().min(0).optional(),
    temperature: z.number().min(0).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    cache: z.enum(['none', 'prefix', 'dual']).optional(),
  })
  .catchall(z.unknown());
export type JsonlRequest = z.infer<typeof jsonlRequestSchema>;

/**
 * Strategy fields are every key beyond the request's own; the engine validates them, and the
 * model's decoding defaults fill what neither the line nor the flags name. Undefined when nothing does.
 */
export function strategyOf(line: JsonlRequest, fallback: Record<string, unknown>): Record<string, unknown> | undefined {
  const {
    prompt: _p,
    image: _i,
    audio: _a,
    strategy,
    max_tokens: _m,
    seed: _s,
    temperature: _t,
    top_p: _tp,
    top_k: _tk,
    cache: _c,
    ...rest
  } = line;
  const merged = strategy === undefined ? { ...fallback, ...rest } : { name: strategy, ...rest };
  return Object.keys(merged).length > 0 ? merged : undefined;
}

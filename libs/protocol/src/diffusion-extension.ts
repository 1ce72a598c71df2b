/**
 * The `diffusion` vendor extension of a chat completion request: which decoding strategy runs
 * (validated by the engine's own `strategySchema`), the key/value cache mode, top-k sampling and
 * whether the stream carries every denoising step. Standard OpenAI clients never send it.
 */
import { z } from 'zod';
import { CACHE_MODES, strategySchema } from '@unmask/core/options';

export const diffusionOptionsSchema = z
  .object({
    strategy: strategySchema
      .optional()
      .describe(
        "Decoding strategy by `name` with its parameters; what it leaves out comes from the model's decoding defaults (else `confident`, threshold 0.9)",
      ),
    cache: z.enum(CACHE_MODES).optional().describe('Key/value caching: none (default), prefix or dual'),
    top_k: z.number().int().min(1).optional().describe('Top-k filtering when temperature > 0'),
    stream_steps: z
      .boolean()
      .optional()
      .describe(
        'When streaming, send one chunk per denoising step with a `diffusion_step` field (positions, tokens, confidences)',
      ),
  })
  .strict();
export type DiffusionOptions = z.infer<typeof diffusionOptionsSchema>;

/** One token committed in a denoising step. */
export const committedTokenSchema = z.object({
  position: z.number().int().describe('Index in the answer canvas'),
  token: z.number().int().describe('Token id'),
  text: z.string().describe("The token's text ('' for end-of-text and padding)"),
  confidence: z
    .number()
    .nullable()
    .describe("The strategy's confidence; null for positions filled by end-of-text prediction"),
});
export type CommittedTokenEvent = z.infer<typeof committedTokenSchema>;

/** A denoising step, carried as the extra `diffusion_step` field of a stream chunk. */
export const diffusionStepSchema = z.object({
  step: z.number().int().describe('1-based step; each step is one forward pass'),
  block: z.number().int().describe('0-based semi-autoregressive block decoded in this step'),
  canvas_length: z.number().int().describe('Positions in the answer canvas'),
  committed: z.array(committedTokenSchema).describe('Tokens committed in this step'),
  masks_remaining: z.number().int(),
  forward_passes: z.number().int(),
  early_commit: z.boolean().describe("Whether Prophet's early commit fired"),
  elapsed_ms: z.number(),
});
export type DiffusionStep = z.infer<typeof diffusionStepSchema>;

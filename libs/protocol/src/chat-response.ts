/** Chat completion responses and stream chunks, shaped exactly as OpenAI's. */
import { z } from 'zod';
import { diffusionStepSchema } from './diffusion-extension.js';

export const finishReasonSchema = z.enum(['stop', 'length']);

export const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  forward_passes: z.number().int().describe('unmask: forward passes (denoising steps) the answer took'),
});
export type Usage = z.infer<typeof usageSchema>;

export const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      logprobs: z.null(),
      finish_reason: finishReasonSchema,
    }),
  ),
  usage: usageSchema,
  system_fingerprint: z.string().nullable(),
});
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

export const chatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      logprobs: z.null(),
      finish_reason: finishReasonSchema.nullable(),
    }),
  ),
  usage: usageSchema.nullable().optional(),
  system_fingerprint: z.string().nullable(),
  diffusion_step: diffusionStepSchema
    .optional()
    .describe('unmask: present on every chunk when diffusion.stream_steps is on'),
});
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;

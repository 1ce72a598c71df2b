/** Chat completion responses and stream chunks, shaped exactly as OpenAI's. */
import { z } from 'zod';
import { diffusionStepSchema } from './diffusion-extension.js';

export const finishReasonSchema = z.enum(['stop', 'length', 'tool_calls']);

export const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  forward_passes: z.number().int().describe('unmask: forward passes (denoising steps) the answer took'),
});
export type Usage = z.infer<typeof usageSchema>;

const tokenText = {
  token: z.string().describe('The text the token adds to the answer'),
  bytes: z.array(z.number().int()).nullable().describe('Its UTF-8 bytes'),
  logprob: z.number().describe('Log-probability at the denoising step that committed the token'),
};
export const tokenLogprobSchema = z.object({
  ...tokenText,
  top_logprobs: z
    .array(z.object(tokenText))
    .describe('The most likely tokens at that position in that step, most likely first'),
});
export type TokenLogprob = z.infer<typeof tokenLogprobSchema>;

export const choiceLogprobsSchema = z.object({
  content: z.array(tokenLogprobSchema).nullable(),
  refusal: z.null(),
});
export type ChoiceLogprobs = z.infer<typeof choiceLogprobsSchema>;

export const messageToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({
    name: z.string(),
    arguments: z.string().describe("JSON text satisfying the function's schema"),
  }),
});
export type MessageToolCall = z.infer<typeof messageToolCallSchema>;

export const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        refusal: z.null(),
        tool_calls: z.array(messageToolCallSchema).optional(),
      }),
      logprobs: choiceLogprobsSchema.nullable(),
      finish_reason: finishReasonSchema,
    }),
  ),
  usage: usageSchema,
  system_fingerprint: z.string().nullable(),
});
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

/** A tool call's piece in a chunk: id, type and name on its first chunk, then arguments text. */
export const toolCallDeltaSchema = z.object({
  index: z.number().int(),
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().optional(), arguments: z.string().optional() }),
});
export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

export const chatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({
        role: z.literal('assistant').optional(),
        content: z.string().nullable().optional(),
        tool_calls: z.array(toolCallDeltaSchema).optional(),
      }),
      logprobs: choiceLogprobsSchema.nullable(),
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

/** A chat completion request, as OpenAI's Chat Completions API defines it, plus `diffusion`. */
import { z } from 'zod';
import { diffusionOptionsSchema } from './diffusion-extension.js';

export const textPartSchema = z.object({ type: z.literal('text'), text: z.string() });
export const imagePartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: z
      .string()
      .min(1)
      .describe('A data: URL (data:image/png;base64,...); http(s) URLs only for hosts on the server allow-list'),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});
export const audioPartSchema = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({
    data: z.string().min(1).describe('Base64-encoded audio'),
    format: z.string().describe("'wav' (other formats are refused with 415)"),
  }),
});
export const contentPartSchema = z.discriminatedUnion('type', [textPartSchema, imagePartSchema, audioPartSchema]);
export type ContentPart = z.infer<typeof contentPartSchema>;

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(contentPartSchema)]).nullable(),
  name: z.string().optional(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string(),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

/** The answer canvas is bounded by the model's positions; this is only a sanity cap. */
export const MAX_TOKENS_CAP = 8192;

export const chatCompletionRequestSchema = z.object({
  model: z.string().optional().describe('Ignored beyond echoing: the server serves one model'),
  messages: z.array(chatMessageSchema).min(1),
  max_tokens: z
    .number()
    .int()
    .min(1)
    .max(MAX_TOKENS_CAP)
    .nullable()
    .optional()
    .describe('Answer canvas length (default 32)'),
  max_completion_tokens: z
    .number()
    .int()
    .min(1)
    .max(MAX_TOKENS_CAP)
    .nullable()
    .optional()
    .describe('Same as max_tokens; wins when both are given'),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .nullable()
    .optional(),
  stop: z
    .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
    .nullable()
    .optional(),
  n: z.literal(1, 'only n = 1 is supported').nullable().optional(),
  response_format: responseFormatSchema.optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  user: z.string().optional(),
  diffusion: diffusionOptionsSchema.optional().describe('unmask extension: strategy, cache, top_k, stream_steps'),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatCompletionRequestInput = z.input<typeof chatCompletionRequestSchema>;

/** A chat completion request, as OpenAI's Chat Completions API defines it, plus `diffusion`. */
import { z } from 'zod';
import { diffusionOptionsSchema } from './diffusion-extension.js';

/** The largest seed (the engine's generator is seeded with 32 bits). */
export const SEED_MAX = 2 ** 32 - 1;
const SEED_RANGE = `must be an integer from 0 to ${SEED_MAX} (2^32 − 1)`;
/** OpenAI's limit on `stop`. */
export const MAX_STOP_SEQUENCES = 4;

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

export const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPartSchema)]).nullable(),
  name: z.string().nullable().optional(),
  /** An assistant turn that called tools (history). */
  tool_calls: z.array(toolCallSchema).nullable().optional(),
  /** A `tool` message answers this call. */
  tool_call_id: z.string().nullable().optional(),
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

/** A function's definition, as both protocols name its fields (the Responses API's tool holds them flat). */
export const functionDefinitionSchema = z.object({
  name: z.string().min(1),
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional().describe("The arguments' JSON Schema"),
  strict: z.boolean().nullable().optional().describe('Accepted; arguments are always constrained to the schema'),
});

/** A function the model may call (OpenAI's Chat Completions tool). */
export const functionToolSchema = z.object({
  type: z.literal('function'),
  function: functionDefinitionSchema,
});
export type FunctionTool = z.infer<typeof functionToolSchema>;

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

/** The answer canvas is bounded by the model's positions; this is only a sanity cap. */
export const MAX_TOKENS_CAP = 8192;
/** A bound on answer tokens: `max_tokens`, `max_completion_tokens`, the Responses API's `max_output_tokens`. */
export const answerTokenBoundSchema = z.number().int().min(1).max(MAX_TOKENS_CAP).nullable().optional();

export const chatCompletionRequestSchema = z.object({
  model: z.string().optional().describe('Ignored beyond echoing: the server serves one model'),
  messages: z.array(chatMessageSchema).min(1),
  max_tokens: answerTokenBoundSchema.describe(
    'Upper bound on answer tokens (default 32): the server chooses the canvas within it (the model\'s trained answer length, or DAEDAL sizing); finish_reason "length" only when the bound (or the model\'s positions) cut the answer',
  ),
  max_completion_tokens: answerTokenBoundSchema.describe('Same as max_tokens; wins when both are given'),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  // The range first, so a seed past 2^53 is told the seed's limit, not the safe-integer one.
  seed: z.number().min(0, SEED_RANGE).max(SEED_MAX, SEED_RANGE).int().nullable().optional(),
  stop: z
    .union([
      z.string().min(1),
      z.array(z.string().min(1)).max(MAX_STOP_SEQUENCES, `at most ${MAX_STOP_SEQUENCES} stop sequences are accepted`),
    ])
    .nullable()
    .optional(),
  n: z.literal(1, 'only n = 1 is supported').nullable().optional(),
  response_format: responseFormatSchema.nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  user: z.string().nullable().optional(),
  logprobs: z
    .boolean()
    .nullable()
    .optional()
    .describe(
      "Return each answer token's log-probability at the denoising step that committed it (softmax of that step's logits, before temperature)",
    ),
  top_logprobs: z
    .number()
    .int()
    .min(0)
    .max(20)
    .nullable()
    .optional()
    .describe('Most likely alternatives per token, from the same step (needs logprobs: true)'),
  tools: z
    .array(functionToolSchema)
    .nullable()
    .optional()
    .describe("Functions the model may call; each call's arguments are grammar-constrained to its `parameters`"),
  tool_choice: toolChoiceSchema
    .nullable()
    .optional()
    .describe(
      '`required`, a named function or `none`; `auto` only for models that declare they can choose between text and a call (400 otherwise). Default `auto` when tools are given',
    ),
  parallel_tool_calls: z.boolean().nullable().optional().describe('Accepted; an answer holds at most one call'),
  frequency_penalty: z.number().nullable().optional(),
  presence_penalty: z.number().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  store: z.boolean().nullable().optional(),
  diffusion: diffusionOptionsSchema.optional().describe('unmask extension: strategy, cache, top_k, stream_steps'),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatCompletionRequestInput = z.input<typeof chatCompletionRequestSchema>;

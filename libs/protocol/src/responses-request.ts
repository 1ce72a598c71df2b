/**
 * A request to OpenAI's Responses API (`POST /v1/responses`), as far as this server honours it:
 * `input` as a string or items (messages with `input_text`, `input_image` and `input_audio`
 * parts, assistant `output_text`, earlier `function_call`s and their `function_call_output`s),
 * `instructions`, `text.format` for structured output, function `tools` and `tool_choice`,
 * `max_output_tokens`, sampling, `stream`, plus the `diffusion` extension. Fields OpenAI defines
 * that need stored state (`previous_response_id`, item references) or a reasoning model are
 * refused by the server with a 400 naming them.
 */
import { z } from 'zod';
import { answerTokenBoundSchema, audioPartSchema, functionDefinitionSchema } from './chat-request.js';
import { diffusionOptionsSchema } from './diffusion-extension.js';

export const inputTextSchema = z.object({ type: z.literal('input_text'), text: z.string() });
export const inputImageSchema = z.object({
  type: z.literal('input_image'),
  image_url: z
    .string()
    .min(1)
    .nullable()
    .optional()
    .describe('A data: URL; http(s) URLs only for hosts on the server allow-list'),
  file_id: z.string().nullable().optional().describe('Not supported (no file store): send image_url'),
  detail: z.enum(['auto', 'low', 'high']).optional(),
});
/** An audio input part: the same as Chat Completions' `input_audio` part. */
export const inputAudioSchema = audioPartSchema;
/** A file part: a `data:` URL of an image or a WAV (how some clients send audio). */
export const inputFileSchema = z.object({
  type: z.literal('input_file'),
  file_data: z.string().min(1).nullable().optional().describe('A data: URL (image/* or audio/wav)'),
  filename: z.string().nullable().optional(),
  file_id: z.string().nullable().optional().describe('Not supported (no file store)'),
  file_url: z.string().nullable().optional().describe('Not supported: send file_data'),
});
export const outputTextSchema = z.object({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()).optional(),
});
export const refusalPartSchema = z.object({ type: z.literal('refusal'), refusal: z.string() });

export const responseInputPartSchema = z.discriminatedUnion('type', [
  inputTextSchema,
  inputImageSchema,
  inputAudioSchema,
  inputFileSchema,
  outputTextSchema,
  refusalPartSchema,
]);
export type ResponseInputPart = z.infer<typeof responseInputPartSchema>;

export const inputMessageSchema = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(responseInputPartSchema)]),
  id: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
});
export const functionCallItemSchema = z.object({
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  id: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
});
export const functionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: z.union([z.string(), z.array(responseInputPartSchema)]),
  id: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
});
/** Needs stored responses: refused. */
export const itemReferenceSchema = z.object({ type: z.literal('item_reference'), id: z.string() });

export const responseInputItemSchema = z.union([
  inputMessageSchema,
  functionCallItemSchema,
  functionCallOutputItemSchema,
  itemReferenceSchema,
]);
export type ResponseInputItem = z.infer<typeof responseInputItemSchema>;

export const responseTextFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullable().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);
export type ResponseTextFormat = z.infer<typeof responseTextFormatSchema>;

export const responseFunctionToolSchema = z.object({
  type: z.literal('function'),
  ...functionDefinitionSchema.shape,
});
export type ResponseFunctionTool = z.infer<typeof responseFunctionToolSchema>;

export const responseToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), name: z.string().min(1) }),
]);
export type ResponseToolChoice = z.infer<typeof responseToolChoiceSchema>;

export const createResponseSchema = z.object({
  model: z.string().optional().describe('Ignored beyond echoing: the server serves one model'),
  input: z
    .union([z.string().min(1), z.array(responseInputItemSchema).min(1)])
    .describe('A question, or items: messages (text, images, WAV audio), function calls and their outputs'),
  instructions: z
    .string()
    .nullable()
    .optional()
    .describe('A system message (the bundle decides whether its model reads it; the default model does not)'),
  max_output_tokens: answerTokenBoundSchema.describe(
    'Upper bound on answer tokens, as max_tokens in Chat Completions (status incomplete when it cut the answer)',
  ),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  text: z
    .object({
      format: responseTextFormatSchema.nullable().optional(),
      verbosity: z.string().nullable().optional(),
    })
    .nullable()
    .optional()
    .describe('`format`: json_schema / json_object answers are grammar-constrained and always parse'),
  tools: z
    .array(responseFunctionToolSchema)
    .nullable()
    .optional()
    .describe("Function tools; a call's arguments are grammar-constrained to its `parameters`"),
  tool_choice: responseToolChoiceSchema.nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional().describe('Accepted; an answer holds at most one call'),
  include: z
    .array(z.string())
    .nullable()
    .optional()
    .describe('`message.output_text.logprobs` adds log-probabilities to output_text parts'),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_obfuscation: z.boolean().nullable().optional() }).nullable().optional(),
  store: z.boolean().nullable().optional().describe('Accepted; nothing is stored (the response says store: false)'),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  user: z.string().nullable().optional(),
  safety_identifier: z.string().nullable().optional(),
  prompt_cache_key: z.string().nullable().optional(),
  service_tier: z.string().nullable().optional(),
  truncation: z.enum(['auto', 'disabled']).nullable().optional(),
  previous_response_id: z
    .string()
    .nullable()
    .optional()
    .describe('Not supported (nothing is stored): send the conversation in input'),
  reasoning: z
    .object({ effort: z.string().nullable().optional(), summary: z.string().nullable().optional() })
    .nullable()
    .optional()
    .describe('Not supported (not a reasoning model): only null or an empty object'),
  diffusion: diffusionOptionsSchema.optional().describe('unmask extension: strategy, cache, top_k, stream_steps'),
});
export type CreateResponse = z.infer<typeof createResponseSchema>;
export type CreateResponseInput = z.input<typeof createResponseSchema>;

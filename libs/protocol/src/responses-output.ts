/**
 * What `POST /v1/responses` answers: a `response` object (output items: an assistant message
 * with an `output_text` part, or a `function_call`), and, when streaming, the Responses event
 * types with their sequence numbers, shaped as OpenAI's.
 */
import { z } from 'zod';
import { tokenLogprobSchema } from './chat-response.js';
import { diffusionStepSchema } from './diffusion-extension.js';
import { responseFunctionToolSchema, responseTextFormatSchema, responseToolChoiceSchema } from './responses-request.js';

export const responseUsageSchema = z.object({
  input_tokens: z.number().int(),
  input_tokens_details: z.object({ cached_tokens: z.number().int() }),
  output_tokens: z.number().int(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
  total_tokens: z.number().int(),
  forward_passes: z.number().int().describe('unmask: forward passes (denoising steps) the answer took'),
});
export type ResponseUsage = z.infer<typeof responseUsageSchema>;

const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']);

export const outputTextPartSchema = z.object({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()),
  logprobs: z
    .array(tokenLogprobSchema)
    .optional()
    .describe('With include message.output_text.logprobs: each token at the step that committed it'),
});
export type OutputTextPart = z.infer<typeof outputTextPartSchema>;

export const outputMessageSchema = z.object({
  type: z.literal('message'),
  id: z.string(),
  status: itemStatus,
  role: z.literal('assistant'),
  content: z.array(outputTextPartSchema),
});
export const functionCallOutputSchema = z.object({
  type: z.literal('function_call'),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string().describe("JSON text satisfying the function's schema"),
  status: itemStatus,
});
export const responseOutputItemSchema = z.discriminatedUnion('type', [outputMessageSchema, functionCallOutputSchema]);
export type ResponseOutputItem = z.infer<typeof responseOutputItemSchema>;

export const responseObjectSchema = z.object({
  id: z.string(),
  object: z.literal('response'),
  created_at: z.number().int(),
  status: z.enum(['in_progress', 'completed', 'incomplete', 'failed']),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  incomplete_details: z.object({ reason: z.literal('max_output_tokens') }).nullable(),
  instructions: z.string().nullable(),
  max_output_tokens: z.number().int().nullable(),
  model: z.string(),
  output: z.array(responseOutputItemSchema),
  parallel_tool_calls: z.boolean(),
  previous_response_id: z.null(),
  reasoning: z.object({ effort: z.null(), summary: z.null() }),
  store: z.literal(false),
  temperature: z.number().nullable(),
  text: z.object({ format: responseTextFormatSchema }),
  tool_choice: responseToolChoiceSchema,
  tools: z.array(responseFunctionToolSchema),
  top_p: z.number().nullable(),
  truncation: z.literal('disabled'),
  usage: responseUsageSchema.nullable(),
  user: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});
export type ResponseObject = z.infer<typeof responseObjectSchema>;

const seq = { sequence_number: z.number().int() };
const inItem = { output_index: z.number().int(), item_id: z.string() };
const inPart = { ...inItem, content_index: z.number().int() };

/** The server-sent events of a streamed response, in the order they come. */
export const responseStreamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('response.created'), response: responseObjectSchema, ...seq }),
  z.object({ type: z.literal('response.in_progress'), response: responseObjectSchema, ...seq }),
  z.object({
    type: z.literal('response.output_item.added'),
    output_index: z.number().int(),
    item: responseOutputItemSchema,
    ...seq,
  }),
  z.object({ type: z.literal('response.content_part.added'), ...inPart, part: outputTextPartSchema, ...seq }),
  z.object({
    type: z.literal('response.output_text.delta'),
    ...inPart,
    delta: z.string(),
    logprobs: z.array(tokenLogprobSchema),
    diffusion_step: diffusionStepSchema.optional().describe('unmask: with diffusion.stream_steps'),
    ...seq,
  }),
  z.object({
    type: z.literal('response.output_text.done'),
    ...inPart,
    text: z.string(),
    logprobs: z.array(tokenLogprobSchema),
    ...seq,
  }),
  z.object({ type: z.literal('response.content_part.done'), ...inPart, part: outputTextPartSchema, ...seq }),
  z.object({ type: z.literal('response.function_call_arguments.delta'), ...inItem, delta: z.string(), ...seq }),
  z.object({
    type: z.literal('response.function_call_arguments.done'),
    ...inItem,
    name: z.string(),
    arguments: z.string(),
    ...seq,
  }),
  z.object({
    type: z.literal('response.output_item.done'),
    output_index: z.number().int(),
    item: responseOutputItemSchema,
    ...seq,
  }),
  z.object({ type: z.literal('response.completed'), response: responseObjectSchema, ...seq }),
  z.object({ type: z.literal('response.incomplete'), response: responseObjectSchema, ...seq }),
  z.object({
    type: z.literal('error'),
    code: z.string().nullable(),
    message: z.string(),
    param: z.string().nullable(),
    ...seq,
  }),
]);
export type ResponseStreamEvent = z.infer<typeof responseStreamEventSchema>;

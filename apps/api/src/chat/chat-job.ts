/**
 * A validated chat completion request turned into the pipeline's `AskRequest`: messages into a
 * conversation (answer-job.ts), OpenAI's sampling fields and the `diffusion` extension mapped to
 * the engine's options, `stop`, `response_format`, `tools` / `tool_choice` and `logprobs` passed on.
 */
import type { ResponseFormat, ToolRequest } from '@unmask/pipeline';
import type { ChatCompletionRequest, ChatMessage } from '@unmask/protocol';
import { badRequest } from '../http/api-error.js';
import {
  type AnswerJob,
  conversationOf,
  decodingOf,
  type JobContext,
  toolRequestOf,
  type Turn,
  unsupported,
} from './answer-job.js';

export interface ChatJob extends AnswerJob {
  readonly includeUsage: boolean;
}

/** The messages as turns, each image and sound located by its JSON path. */
export function chatTurns(messages: readonly ChatMessage[]): Turn[] {
  return messages.map((message, i) => {
    const role = message.role === 'developer' ? 'system' : message.role;
    const toolCalls = (message.tool_calls ?? []).map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    }));
    const extra = {
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(message.tool_call_id != null ? { toolCallId: message.tool_call_id } : {}),
    };
    const content = message.content ?? '';
    if (typeof content === 'string') return { role, text: content, images: [], audio: [], ...extra };
    const texts: string[] = [];
    const images: Turn['images'][number][] = [];
    const audio: Turn['audio'][number][] = [];
    content.forEach((part, j) => {
      const param = `messages[${i}].content[${j}]`;
      if (part.type === 'text') texts.push(part.text);
      else if (message.role !== 'user')
        throw badRequest(`${param}: only user messages may carry ${part.type} parts`, `${param}.type`);
      else if (part.type === 'image_url') images.push({ url: part.image_url.url, param: `${param}.image_url.url` });
      else audio.push({ data: part.input_audio.data, format: part.input_audio.format, param: `${param}.input_audio` });
    });
    return { role, text: texts.join('\n'), images, audio, ...extra };
  });
}

export async function chatJob(request: ChatCompletionRequest, ctx: JobContext): Promise<ChatJob> {
  refuseUnsupported(request);
  const turns = await conversationOf(chatTurns(request.messages), 'messages', ctx);
  const format = request.response_format;
  let responseFormat: ResponseFormat | undefined;
  if (format?.type === 'json_object') responseFormat = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    if (!format.json_schema.schema)
      throw badRequest(
        'response_format.json_schema.schema: required for json_schema',
        'response_format.json_schema.schema',
      );
    responseFormat = { type: 'json_schema', schema: format.json_schema.schema };
  }
  const tools = toolsOf(request);
  const stop = request.stop == null ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop;
  return {
    ask: {
      ...turns,
      maxTokens: request.max_completion_tokens ?? request.max_tokens ?? ctx.defaultMaxTokens,
      ...decodingOf(request, request.diffusion ?? {}),
      ...(responseFormat ? { responseFormat } : {}),
      ...(tools ? { tools } : {}),
      ...(stop.length > 0 ? { stop } : {}),
      ...(request.logprobs === true ? { logprobs: request.top_logprobs ?? 0 } : {}),
      fields: {
        prompt: 'messages',
        maxTokens: request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens',
        responseFormat: 'response_format',
        responseSchema: 'response_format.json_schema.schema',
        tools: 'tools',
        toolChoice: 'tool_choice',
        logprobs: 'top_logprobs',
        strategy: 'diffusion.strategy',
      },
    },
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    streamSteps: request.diffusion?.stream_steps === true,
  };
}

/** `tools` with `tool_choice` as the pipeline takes them (answer-job's toolRequestOf). */
function toolsOf(request: ChatCompletionRequest): ToolRequest | undefined {
  const choice = request.tool_choice;
  return toolRequestOf(
    (request.tools ?? []).map((t) => t.function),
    typeof choice === 'object' && choice !== null ? { name: choice.function.name } : (choice ?? undefined),
    (i) => `tools[${i}].function`,
  );
}

function refuseUnsupported(request: ChatCompletionRequest): void {
  if ((request.top_logprobs ?? 0) > 0 && request.logprobs !== true)
    throw badRequest('top_logprobs: needs logprobs: true', 'top_logprobs');
  for (const key of ['frequency_penalty', 'presence_penalty'] as const) {
    if ((request[key] ?? 0) !== 0) throw unsupported(key, 'penalties are not supported (only 0)');
  }
}

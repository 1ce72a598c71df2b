/**
 * A validated Responses API request turned into the pipeline's `AskRequest`, through the same
 * conversation as Chat Completions (chat/answer-job.ts): `instructions` is a system turn, input
 * messages their turns (`input_text`, `input_image`, `input_audio`, and `input_file` carrying an
 * image or WAV data: URL), `function_call` / `function_call_output` items the history of tool
 * use; `text.format`, `tools`, `tool_choice`, `max_output_tokens`, sampling and logprobs mapped as
 * in chat-job.ts.
 */
import type { ResponseFormat, ToolRequest } from '@unmask/pipeline';
import type { CreateResponse, ResponseInputItem, ResponseInputPart } from '@unmask/protocol';
import {
  type AnswerJob,
  conversationOf,
  decodingOf,
  type JobContext,
  toolRequestOf,
  type Turn,
  unsupported,
} from '../chat/answer-job.js';
import { AUDIO_TYPES, IMAGE_TYPES } from '../chat/media-input.js';
import { badRequest, unsupportedMedia } from '../http/api-error.js';

export interface ResponsesJob extends AnswerJob {
  readonly request: CreateResponse;
}

/** `include` entry that asks for log-probabilities. */
export const LOGPROBS_INCLUDE = 'message.output_text.logprobs';

export function responseTurns(request: CreateResponse): Turn[] {
  const turns: Turn[] = [];
  if (request.instructions != null && request.instructions !== '')
    turns.push({ role: 'system', text: request.instructions, images: [], audio: [] });
  if (typeof request.input === 'string') {
    turns.push({ role: 'user', text: request.input, images: [], audio: [] });
    return turns;
  }
  request.input.forEach((item, i) => turns.push(turnOf(item, `input[${i}]`)));
  return turns;
}

function turnOf(item: ResponseInputItem, param: string): Turn {
  const none = { images: [], audio: [] };
  switch (item.type) {
    case 'item_reference':
      throw unsupported(`${param}`, 'item references need stored responses; send the item itself');
    case 'function_call':
      return {
        role: 'assistant',
        text: '',
        ...none,
        toolCalls: [{ id: item.call_id, name: item.name, arguments: item.arguments }],
      };
    case 'function_call_output':
      return {
        role: 'tool',
        text: typeof item.output === 'string' ? item.output : partsOf(item.output, `${param}.output`, false).text,
        ...none,
        toolCallId: item.call_id,
      };
    default: {
      const role = item.role === 'developer' ? 'system' : item.role;
      if (typeof item.content === 'string') return { role, text: item.content, ...none };
      return { role, ...partsOf(item.content, `${param}.content`, item.role === 'user') };
    }
  }
}

function partsOf(
  parts: readonly ResponseInputPart[],
  param: string,
  mediaAllowed: boolean,
): Pick<Turn, 'text' | 'images' | 'audio'> {
  const texts: string[] = [];
  const images: Turn['images'][number][] = [];
  const audio: Turn['audio'][number][] = [];
  parts.forEach((part, j) => {
    const at = `${param}[${j}]`;
    if (part.type === 'input_text' || part.type === 'output_text') {
      texts.push(part.text);
      return;
    }
    if (part.type === 'refusal') return;
    if (!mediaAllowed) throw badRequest(`${at}: only user messages may carry ${part.type} parts`, `${at}.type`);
    if (part.type === 'input_image') {
      if (part.image_url == null)
        throw unsupported(`${at}.file_id`, 'files are not stored here; send the image as image_url (a data: URL)');
      images.push({ url: part.image_url, param: `${at}.image_url` });
    } else if (part.type === 'input_audio') {
      audio.push({ data: part.input_audio.data, format: part.input_audio.format, param: `${at}.input_audio` });
    } else {
      if (part.file_data == null)
        throw unsupported(
          `${at}.${part.file_id != null ? 'file_id' : 'file_url'}`,
          'files are not stored or fetched here; send file_data (a data: URL of an image or a WAV)',
        );
      const type = /^data:([^;,]*)/i.exec(part.file_data)?.[1]?.toLowerCase() ?? '';
      if (IMAGE_TYPES.includes(type)) images.push({ url: part.file_data, param: `${at}.file_data` });
      else if (AUDIO_TYPES.includes(type)) {
        const comma = part.file_data.indexOf(',');
        audio.push({
          data: part.file_data.slice(comma + 1),
          format: 'wav',
          param: at,
          dataParam: `${at}.file_data`,
        });
      } else
        throw unsupportedMedia(
          `${at}.file_data: unsupported file type '${type || 'none'}'; send a data: URL of an image or a WAV`,
          `${at}.file_data`,
        );
    }
  });
  return { text: texts.join('\n'), images, audio };
}

export async function responsesJob(request: CreateResponse, ctx: JobContext): Promise<ResponsesJob> {
  if (request.previous_response_id != null)
    throw unsupported('previous_response_id', 'nothing is stored here; send the whole conversation in input');
  if (request.reasoning != null && (request.reasoning.effort != null || request.reasoning.summary != null))
    throw unsupported('reasoning', 'this model does not reason before answering');
  const conversation = await conversationOf(responseTurns(request), 'input', ctx);
  const format = request.text?.format;
  const responseFormat: ResponseFormat | undefined =
    format?.type === 'json_object'
      ? { type: 'json_object' }
      : format?.type === 'json_schema'
        ? { type: 'json_schema', schema: format.schema }
        : undefined;
  const tools = toolsOf(request);
  if (tools && request.diffusion?.stream_steps)
    throw unsupported('diffusion.stream_steps', 'step events ride on output_text deltas: not with tools');
  const logprobs = (request.include ?? []).includes(LOGPROBS_INCLUDE) || (request.top_logprobs ?? 0) > 0;
  return {
    request,
    ask: {
      ...conversation,
      maxTokens: request.max_output_tokens ?? ctx.defaultMaxTokens,
      ...decodingOf(request, request.diffusion ?? {}),
      ...(responseFormat ? { responseFormat } : {}),
      ...(tools ? { tools } : {}),
      ...(logprobs ? { logprobs: request.top_logprobs ?? 0 } : {}),
      fields: {
        prompt: 'input',
        maxTokens: 'max_output_tokens',
        responseFormat: 'text.format',
        responseSchema: 'text.format.schema',
        tools: 'tools',
        toolChoice: 'tool_choice',
        logprobs: 'top_logprobs',
        strategy: 'diffusion.strategy',
      },
    },
    stream: request.stream === true,
    streamSteps: request.diffusion?.stream_steps === true,
  };
}

/** `tools` with `tool_choice` as the pipeline takes them (answer-job's toolRequestOf). */
function toolsOf(request: CreateResponse): ToolRequest | undefined {
  return toolRequestOf(request.tools ?? [], request.tool_choice ?? undefined, (i) => `tools[${i}]`);
}

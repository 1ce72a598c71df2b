/**
 * A validated chat completion request turned into the pipeline's `AskRequest`: messages
 * flattened into one prompt with its images and sounds, OpenAI's sampling fields and the
 * `diffusion` extension mapped to the engine's options, `stop` and `response_format` passed on.
 */
import { isUnmaskError, UnmaskError, type SamplingInput } from '@unmask/core';
import type { AskRequest, ResponseFormat, Unmask } from '@unmask/pipeline';
import type { ChatCompletionRequest, ChatMessage } from '@unmask/protocol';
import { badRequest, tooLarge, unsupportedMedia } from '../http/api-error.js';
import { decodeBase64, imageBytes, type FetchPolicy } from './media-input.js';

export interface ChatJob {
  readonly ask: Omit<AskRequest, 'signal'>;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly streamSteps: boolean;
  /** JSON paths of the images and sounds, in order, to name them in media errors. */
  readonly mediaParams: { readonly images: string[]; readonly audio: string[] };
}

/**
 * The conversation as the pipeline takes it: the last user turn's text is the prompt, every
 * earlier message (system, developer, user, assistant, tool) is history, and the images and
 * sounds of all user turns go with the prompt. The bundle decides what history counts
 * (manifest `generation.conversation`): a chat template renders it, the default model answers
 * the last user turn alone.
 */
export function flattenMessages(messages: readonly ChatMessage[]): {
  prompt: string;
  history: { role: string; content: string }[];
  images: { url: string; param: string }[];
  audio: { data: string; format: string; param: string }[];
} {
  const images: { url: string; param: string }[] = [];
  const audio: { data: string; format: string; param: string }[] = [];
  const turns: { role: string; text: string }[] = [];
  messages.forEach((message, i) => {
    const content = message.content ?? '';
    const role = message.role === 'developer' ? 'system' : message.role;
    if (typeof content === 'string') {
      turns.push({ role, text: content });
      return;
    }
    const texts: string[] = [];
    content.forEach((part, j) => {
      const param = `messages[${i}].content[${j}]`;
      if (part.type === 'text') texts.push(part.text);
      else if (message.role !== 'user')
        throw badRequest(`${param}: only user messages may carry ${part.type} parts`, `${param}.type`);
      else if (part.type === 'image_url') images.push({ url: part.image_url.url, param: `${param}.image_url.url` });
      else audio.push({ data: part.input_audio.data, format: part.input_audio.format, param: `${param}.input_audio` });
    });
    turns.push({ role, text: texts.join('\n') });
  });
  let last = -1;
  turns.forEach((t, i) => {
    if (t.role === 'user') last = i;
  });
  const prompt = last >= 0 ? (turns[last] as { text: string }).text : '';
  if (prompt.trim() === '')
    throw badRequest(
      'messages: the last user message holds no text; add a text part (e.g. the question about the image)',
      'messages',
    );
  const history = turns
    .filter((t, i) => i !== last && t.text.trim() !== '')
    .map((t) => ({ role: t.role, content: t.text }));
  return { prompt, history, images, audio };
}

/** Cheap limits checked before any media is decoded or any text tokenized. */
export interface RequestLimits {
  /** Images and sounds together (MAX_MEDIA_ITEMS). */
  readonly maxMediaItems: number;
  /** Characters of the whole conversation's text: the prompt and every earlier turn (MAX_PROMPT_CHARS). */
  readonly maxPromptChars: number;
}

/**
 * `texts`: the prompt and the conversation's earlier turns, all of which are counted against
 * MAX_PROMPT_CHARS (a chat template renders them all, and they are tokenized together).
 */
export function checkRequestLimits(
  texts: readonly string[],
  media: readonly { param: string }[],
  limits: RequestLimits,
  promptParam = 'messages',
): void {
  const chars = texts.reduce((n, text) => n + text.length, 0);
  if (chars > limits.maxPromptChars)
    throw tooLarge(
      `${promptParam}: the ${texts.length > 1 ? 'conversation' : 'prompt'} has ${chars} characters, over the limit of ${limits.maxPromptChars} (MAX_PROMPT_CHARS)`,
      promptParam,
    );
  if (media.length > limits.maxMediaItems) {
    const first = media[limits.maxMediaItems]?.param ?? promptParam;
    throw badRequest(
      `${first}: the request carries ${media.length} images and sounds, over the limit of ${limits.maxMediaItems} (MAX_MEDIA_ITEMS)`,
      first,
      'too_many_media',
    );
  }
}

export interface JobContext {
  readonly unmask: Unmask;
  readonly limits: RequestLimits;
  readonly defaultMaxTokens: number;
  readonly fetchPolicy: FetchPolicy;
  readonly signal: AbortSignal;
}

export async function chatJob(request: ChatCompletionRequest, ctx: JobContext): Promise<ChatJob> {
  const { unmask } = ctx;
  const { prompt, history, images, audio } = flattenMessages(request.messages);
  checkRequestLimits([...history.map((turn) => turn.content), prompt], [...images, ...audio], ctx.limits);
  if (images.length > 0 && !unmask.accepts.images)
    throw badRequest(`${images[0]?.param}: this model takes no images`, images[0]?.param ?? null);
  if (audio.length > 0 && !unmask.accepts.audio)
    throw badRequest(`${audio[0]?.param}: this model takes no audio`, audio[0]?.param ?? null);
  const imageData: Uint8Array[] = [];
  for (const image of images) imageData.push(await imageBytes(image.url, image.param, ctx.fetchPolicy, ctx.signal));
  const audioData = audio.map((a) => {
    if (a.format.toLowerCase() !== 'wav')
      throw unsupportedMedia(
        `${a.param}.format: unsupported audio format '${a.format}'; accepted: wav`,
        `${a.param}.format`,
      );
    return decodeBase64(a.data, `${a.param}.data`, ctx.fetchPolicy.maxBytes);
  });

  refuseUnsupported(request);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? ctx.defaultMaxTokens;
  const diffusion = request.diffusion ?? {};
  const sampling: SamplingInput = {
    ...(request.temperature != null ? { temperature: request.temperature } : {}),
    ...(request.top_p != null ? { top_p: request.top_p } : {}),
    ...(request.seed != null ? { seed: request.seed } : {}),
    ...(diffusion.top_k !== undefined ? { top_k: diffusion.top_k } : {}),
  };
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
  const stop = request.stop == null ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop;
  return {
    ask: {
      prompt,
      ...(history.length > 0 ? { history } : {}),
      images: imageData,
      audio: audioData,
      maxTokens,
      ...(diffusion.strategy ? { strategy: diffusion.strategy } : {}),
      ...(Object.keys(sampling).length > 0 ? { sampling } : {}),
      ...(diffusion.cache ? { cache: diffusion.cache } : {}),
      ...(responseFormat ? { responseFormat } : {}),
      ...(stop.length > 0 ? { stop } : {}),
    },
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    streamSteps: diffusion.stream_steps === true,
    mediaParams: { images: images.map((i) => i.param), audio: audio.map((a) => `${a.param}.data`) },
  };
}

/** Renames the pipeline's media names (`image`, `images[1]`, `audio`) to the request's JSON paths. */
export function withRequestParams(error: unknown, job: ChatJob): unknown {
  if (!isUnmaskError(error) || error.param === undefined) return error;
  const m = /^(images?|audio)(?:\[(\d+)\])?$/.exec(error.param);
  let param: string | undefined;
  if (m) {
    const list = m[1] === 'audio' ? job.mediaParams.audio : job.mediaParams.images;
    param = list[Number(m[2] ?? 0)];
  } else if (error.param.startsWith('responseFormat.schema')) {
    param = 'response_format.json_schema.schema';
  } else if (error.param === 'constraint' || error.param.startsWith('responseFormat')) {
    param = 'response_format';
  } else if (error.param === 'maxTokens') {
    param = 'max_tokens';
  } else if (error.param.startsWith('strategy')) {
    param = `diffusion.${error.param}`;
  } else if (error.param === 'promptIds') {
    param = 'messages';
  }
  if (!param) return error;
  const old = error.param;
  const message =
    error.message.startsWith(`${old}:`) || error.message.startsWith(`${old} `)
      ? `${param}${error.message.slice(old.length)}`
      : `${param}: ${error.message}`;
  return new UnmaskError(error.code, message, param, { cause: error });
}

/** Fields OpenAI defines that this server cannot honour: a clear 400 rather than silence. */
function refuseUnsupported(request: ChatCompletionRequest): void {
  const unsupported = (param: string, message: string) =>
    badRequest(`${param}: ${message}`, param, 'unsupported_parameter');
  if (request.logprobs === true || (request.top_logprobs ?? 0) > 0)
    throw unsupported(
      'logprobs',
      'log-probabilities are not returned: a diffusion model commits tokens out of order, several per step',
    );
  const tools = request.tools ?? [];
  if (tools.length > 0 && request.tool_choice !== 'none')
    throw unsupported('tools', 'tool calls are not supported by this server; send tool_choice "none" or no tools');
  for (const key of ['frequency_penalty', 'presence_penalty'] as const) {
    if ((request[key] ?? 0) !== 0) throw unsupported(key, 'penalties are not supported (only 0)');
  }
}

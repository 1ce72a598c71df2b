/**
 * What Chat Completions and Responses requests share on their way to the pipeline: a
 * conversation of turns (text, images, sounds, earlier tool calls and results) becomes the
 * `AskRequest`'s prompt, history and media. Each medium and offered function carries the request
 * field it came from (`messages[0].content[1].image_url.url`, `input[0].content[1].image_url`,
 * `tools[0].function`) and the request its names for the rest (`fields`), so the pipeline's
 * errors name the request's own fields.
 */
import type { SamplingInput } from '@unmask/core';
import { type AskRequest, type ConversationMode, pickConversationMedia, type ToolRequest } from '@unmask/pipeline';
import type { DiffusionOptions } from '@unmask/protocol';
import { badRequest, tooLarge, unsupportedMedia } from '../http/api-error.js';
import { decodeBase64, imageBytes, type FetchPolicy } from './media-input.js';

export interface AnswerJob {
  readonly ask: Omit<AskRequest, 'signal'>;
  readonly stream: boolean;
  readonly streamSteps: boolean;
}

/** One message of a conversation, its media already located by JSON path. */
export interface Turn {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly text: string;
  readonly images: readonly { readonly url: string; readonly param: string }[];
  readonly audio: readonly {
    readonly data: string;
    readonly format: string;
    readonly param: string;
    /** Where the base64 data sits, when not `${param}.data`. */
    readonly dataParam?: string;
  }[];
  /** An assistant turn's tool calls (history). */
  readonly toolCalls?: readonly { readonly id: string; readonly name: string; readonly arguments: string }[];
  /** A tool turn answers this call. */
  readonly toolCallId?: string;
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
  readonly limits: RequestLimits;
  readonly defaultMaxTokens: number;
  readonly fetchPolicy: FetchPolicy;
  /** The served model's conversation mode (its manifest's), which decides the media kept. */
  readonly conversation: ConversationMode;
  readonly signal: AbortSignal;
}

/**
 * The conversation as the pipeline takes it: the last user turn's text is the prompt, every
 * earlier turn is history. The media that go with the prompt are the model's choice
 * (`ctx.conversation`, the pipeline's conversation-media.ts): every user turn's with a chat
 * template, the latest image and sound for the default model. Only those are fetched or decoded.
 */
export async function conversationOf(
  turns: readonly Turn[],
  conversationParam: string,
  ctx: JobContext,
): Promise<Pick<AskRequest, 'prompt' | 'history' | 'images' | 'audio'>> {
  let last = -1;
  turns.forEach((t, i) => {
    if (t.role === 'user') last = i;
  });
  const prompt = last >= 0 ? (turns[last] as Turn).text : '';
  if (prompt.trim() === '')
    throw badRequest(
      `${conversationParam}: the last user message holds no text; add a text part (e.g. the question about the image)`,
      conversationParam,
    );
  const history = turns
    .filter((t, i) => i !== last && (t.text.trim() !== '' || (t.toolCalls?.length ?? 0) > 0))
    .map((t) => ({
      role: t.role,
      content: t.text,
      ...(t.toolCalls?.length ? { tool_calls: t.toolCalls } : {}),
      ...(t.toolCallId !== undefined ? { tool_call_id: t.toolCallId } : {}),
    }));
  checkRequestLimits(
    [...history.map((turn) => turn.content), prompt],
    turns.flatMap((t) => [...t.images, ...t.audio]),
    ctx.limits,
    conversationParam,
  );
  // The prompt check above leaves a last user turn.
  const earlier = turns.filter((_, i) => i !== last);
  const media = await turnMedia(pickConversationMedia(turns[last] as Turn, earlier, ctx.conversation), ctx);
  return { prompt, ...(history.length > 0 ? { history } : {}), ...media };
}

/** A turn's images (fetched or decoded) and sounds (WAV only), each with the field it came from. */
async function turnMedia(
  turn: Pick<Turn, 'images' | 'audio'>,
  ctx: JobContext,
): Promise<{ images: { data: Uint8Array; field: string }[]; audio: { data: Uint8Array; field: string }[] }> {
  const images: { data: Uint8Array; field: string }[] = [];
  for (const image of turn.images)
    images.push({ data: await imageBytes(image.url, image.param, ctx.fetchPolicy, ctx.signal), field: image.param });
  const audio = turn.audio.map((a) => {
    if (a.format.toLowerCase() !== 'wav')
      throw unsupportedMedia(
        `${a.param}.format: unsupported audio format '${a.format}'; accepted: wav`,
        `${a.param}.format`,
      );
    const field = a.dataParam ?? `${a.param}.data`;
    return { data: decodeBase64(a.data, field, ctx.fetchPolicy.maxBytes), field };
  });
  return { images, audio };
}

/** OpenAI's sampling fields and the `diffusion` extension, as the pipeline takes them. */
export function decodingOf(
  fields: { temperature?: number | null; top_p?: number | null; seed?: number | null },
  diffusion: DiffusionOptions,
): Pick<AskRequest, 'sampling' | 'strategy' | 'cache'> {
  const sampling: SamplingInput = {
    ...(fields.temperature != null ? { temperature: fields.temperature } : {}),
    ...(fields.top_p != null ? { top_p: fields.top_p } : {}),
    ...(fields.seed != null ? { seed: fields.seed } : {}),
    ...(diffusion.top_k !== undefined ? { top_k: diffusion.top_k } : {}),
  };
  return {
    ...(diffusion.strategy ? { strategy: diffusion.strategy } : {}),
    ...(Object.keys(sampling).length > 0 ? { sampling } : {}),
    ...(diffusion.cache ? { cache: diffusion.cache } : {}),
  };
}

/** A field OpenAI defines that this server cannot honour: a clear 400 rather than silence. */
export const unsupported = (param: string, message: string) =>
  badRequest(`${param}: ${message}`, param, 'unsupported_parameter');

/** A function tool as both protocols carry it, once its wrapper is taken off. */
export interface OfferedFunction {
  readonly name: string;
  readonly description?: string | null | undefined;
  readonly parameters?: Record<string, unknown> | null | undefined;
}

/**
 * The offered functions with `tool_choice` as the pipeline takes them; none for
 * `tool_choice: "none"` or no tools. `choice` is the named function's name or a keyword.
 */
export function toolRequestOf(
  functions: readonly OfferedFunction[],
  choice: 'auto' | 'none' | 'required' | { readonly name: string } | undefined,
  /** The request field of the `index`-th function (`tools[0].function`). */
  fieldOf: (index: number) => string,
): ToolRequest | undefined {
  const chosen = choice ?? (functions.length > 0 ? 'auto' : 'none');
  if (functions.length === 0) {
    if (chosen !== 'none')
      throw badRequest('tool_choice: give tools to choose from (or tool_choice "none")', 'tool_choice');
    return undefined;
  }
  if (chosen === 'none') return undefined;
  return {
    functions: functions.map((f, i) => ({
      name: f.name,
      field: fieldOf(i),
      ...(f.description != null ? { description: f.description } : {}),
      ...(f.parameters != null ? { parameters: f.parameters } : {}),
    })),
    choice: typeof chosen === 'string' ? chosen : { name: chosen.name },
  };
}

/**
 * Talking to the unmask server: a streaming chat completion with every denoising step, the
 * served model, and API errors turned into plain sentences.
 */
import type {
  ChatCompletionChunk,
  ChatCompletionRequestInput,
  ContentPart,
  DiffusionStep,
  ErrorBody,
  ModelList,
  Usage,
} from '@unmask/protocol';
import { SseParser } from './sse.js';

export type StrategyInput = NonNullable<NonNullable<ChatCompletionRequestInput['diffusion']>['strategy']>;

/** A first sentence for the statuses people meet most. */
const STATUS_LEADS: Record<number, string> = {
  413: 'The file is too large. ',
  415: 'That file type is not supported. ',
  422: 'The file could not be read. ',
  429: 'The server is busy; try again in a moment. ',
  503: 'The model is not ready. ',
  504: 'The answer took too long. ',
};

/** An error the API answered (or a failure to reach it), with what the user should see. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** One plain line: what went wrong, the server's words, which field, and the HTTP status. */
  get plain(): string {
    const lead = (this.status !== null && STATUS_LEADS[this.status]) || '';
    const where = this.param && !this.message.includes(this.param) ? ` (field: ${this.param})` : '';
    const status = this.status === null ? '' : ` [HTTP ${this.status}${this.code ? `, ${this.code}` : ''}]`;
    return `${lead}${this.message}${where}${status}`;
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    'error' in value &&
    typeof (value as ErrorBody).error?.message === 'string'
  );
}

async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (isErrorBody(body)) return new ApiError(body.error.message, response.status, body.error.code, body.error.param);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(
    text.trim() || response.statusText || 'The server answered with an error',
    response.status,
    null,
    null,
  );
}

export interface Media {
  /** A data: URL of the image. */
  imageDataUrl?: string;
  /** Base64 of the WAV file. */
  audioBase64?: string;
}

export interface AskOptions {
  prompt: string;
  media: Media;
  strategy: StrategyInput;
  maxTokens: number;
}

/** The request body: images, then audio, then the text, with steps streamed. */
export function buildRequest(options: AskOptions): ChatCompletionRequestInput {
  const content: ContentPart[] = [];
  if (options.media.imageDataUrl) content.push({ type: 'image_url', image_url: { url: options.media.imageDataUrl } });
  if (options.media.audioBase64)
    content.push({ type: 'input_audio', input_audio: { data: options.media.audioBase64, format: 'wav' } });
  content.push({ type: 'text', text: options.prompt });
  return {
    messages: [{ role: 'user', content }],
    max_tokens: options.maxTokens,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
    diffusion: { strategy: options.strategy, stream_steps: true },
  };
}

export interface StreamHandlers {
  onStep(step: DiffusionStep): void;
  onText(text: string): void;
}

export interface StreamResult {
  text: string;
  usage: Usage | null;
  finishReason: string | null;
}

/** Runs one streamed completion, calling back on every step and content delta. */
export async function streamCompletion(
  options: AskOptions,
  handlers: StreamHandlers,
  signal?: AbortSignal,
): Promise<StreamResult> {
  let response: Response;
  try {
    response = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(buildRequest(options)),
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(
      `Could not reach the server: ${error instanceof Error ? error.message : String(error)}`,
      null,
      null,
      null,
    );
  }
  if (!response.ok || !response.body) throw await errorFrom(response);

  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  const result: StreamResult = { text: '', usage: null, finishReason: null };
  let done = false;
  for (;;) {
    const { value, done: ended } = await reader.read();
    const events = parser.push(ended ? decoder.decode() : decoder.decode(value, { stream: true }));
    for (const data of events) {
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      const payload: unknown = JSON.parse(data);
      if (isErrorBody(payload))
        throw new ApiError(payload.error.message, null, payload.error.code, payload.error.param);
      const chunk = payload as ChatCompletionChunk;
      if (chunk.diffusion_step) handlers.onStep(chunk.diffusion_step);
      const choice = chunk.choices[0];
      const delta = choice?.delta.content;
      if (delta) {
        result.text += delta;
        handlers.onText(result.text);
      }
      if (choice?.finish_reason) result.finishReason = choice.finish_reason;
      if (chunk.usage) result.usage = chunk.usage;
    }
    if (ended) break;
  }
  if (!done) throw new ApiError('The answer stream ended early, before [DONE]', null, null, null);
  return result;
}

export type ModelInfo = ModelList['data'][number];

/** The served model, or an ApiError (503 while it loads). */
export async function fetchModel(): Promise<ModelInfo | undefined> {
  const response = await fetch('/v1/models');
  if (!response.ok) throw await errorFrom(response);
  const list = (await response.json()) as ModelList;
  return list.data[0];
}

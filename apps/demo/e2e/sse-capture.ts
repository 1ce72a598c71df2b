/** Reads what the server streamed to the page: the text deltas, the step events and the usage. */
import type { ChatCompletionChunk, DiffusionStep, Usage } from '@unmask/protocol';
import type { Response } from 'playwright-core';
import { SseParser } from '../src/sse.js';

export interface Streamed {
  text: string;
  steps: DiffusionStep[];
  usage: Usage | null;
  done: boolean;
  request: {
    messages: { content: unknown }[];
    diffusion?: { strategy?: Record<string, unknown>; stream_steps?: boolean };
    max_tokens?: number;
  };
}

export async function streamedBody(response: Response): Promise<Streamed> {
  const events = new SseParser().push(await response.text());
  const out: Streamed = {
    text: '',
    steps: [],
    usage: null,
    done: false,
    request: response.request().postDataJSON() as Streamed['request'],
  };
  for (const data of events) {
    if (data === '[DONE]') {
      out.done = true;
      continue;
    }
    const chunk = JSON.parse(data) as ChatCompletionChunk;
    out.text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.diffusion_step) out.steps.push(chunk.diffusion_step);
    if (chunk.usage) out.usage = chunk.usage;
  }
  return out;
}

/** The text of the request's prompt (its last text part). */
export function promptOf(s: Streamed): string {
  const content = s.request.messages[0]?.content;
  if (!Array.isArray(content)) return String(content);
  const text = [...content].reverse().find((p: { type?: string }) => p.type === 'text') as { text: string } | undefined;
  return text?.text ?? '';
}

/** The media types in the request, in order. */
export function partsOf(s: Streamed): string[] {
  const content = s.request.messages[0]?.content;
  return Array.isArray(content) ? content.map((p: { type: string }) => p.type) : ['text'];
}

/** OpenAI-shaped completion objects and chunks from the pipeline's results. */
import { randomUUID } from 'node:crypto';
import type { AskStep } from '@unmask/pipeline';
import type { ChatCompletion, ChatCompletionChunk, DiffusionStep, Usage } from '@unmask/protocol';

export const completionId = () => `chatcmpl-${randomUUID().replaceAll('-', '')}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function usageOf(promptTokens: number, completionTokens: number, forwardPasses: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    forward_passes: forwardPasses,
  };
}

export function completionOf(
  id: string,
  model: string,
  text: string,
  finish: 'stop' | 'length',
  usage: Usage,
): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finish },
    ],
    usage,
    system_fingerprint: null,
  };
}

export interface ChunkFactory {
  (
    delta: { role?: 'assistant'; content?: string },
    finish?: 'stop' | 'length' | null,
    extra?: { diffusion_step?: DiffusionStep },
  ): ChatCompletionChunk;
  usage(usage: Usage): ChatCompletionChunk;
}

/** `includeUsage`: every chunk before the usage chunk carries `usage: null`, as OpenAI's do. */
export function chunkFactory(id: string, model: string, includeUsage = false): ChunkFactory {
  const created = nowSeconds();
  const make = ((delta, finish = null, extra = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
    system_fingerprint: null,
    ...extra,
  })) as ChunkFactory;
  make.usage = (usage) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [],
    usage,
    system_fingerprint: null,
  });
  return make;
}

export function stepEventOf(step: AskStep): DiffusionStep {
  return {
    step: step.step,
    block: step.block,
    canvas_length: step.canvas.length,
    committed: step.committed.map((c) => ({
      position: c.position,
      token: c.token,
      text: step.cells?.[c.position] ?? '',
      confidence: c.confidence,
    })),
    masks_remaining: step.masksRemaining,
    forward_passes: step.forwardPasses,
    early_commit: step.earlyCommit,
    elapsed_ms: Math.round(step.elapsedMs * 1000) / 1000,
  };
}

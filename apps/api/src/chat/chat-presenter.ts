/**
 * Chat Completions shapes from the pipeline's results: a `chat.completion` (text, or a tool
 * call with `finish_reason: "tool_calls"`, log-probabilities when asked), or its stream of
 * `chat.completion.chunk`s: a role chunk, content or tool-call deltas (optionally with a
 * `diffusion_step`), whatever the steps had not sent, a finish chunk, a usage chunk when asked,
 * `[DONE]`.
 */
import { randomUUID } from 'node:crypto';
import type { AnswerLogprob, AskResult, AskStep } from '@unmask/pipeline';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChoiceLogprobs,
  DiffusionStep,
  TokenLogprob,
  ToolCallDelta,
  Usage,
} from '@unmask/protocol';
import type { ApiError } from '../http/api-error.js';
import type { AnswerPresenter } from './run-answer.js';

export const completionId = () => `chatcmpl-${randomUUID().replaceAll('-', '')}`;
export const toolCallId = () => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function usageOf(result: AskResult): Usage {
  return {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    total_tokens: result.promptTokens + result.completionTokens,
    forward_passes: result.forwardPasses,
  };
}

export function logprobsOf(entries: readonly AnswerLogprob[]): TokenLogprob[] {
  return entries.map((e) => ({
    token: e.token,
    bytes: [...e.bytes],
    logprob: e.logprob,
    top_logprobs: e.top.map((t) => ({ token: t.token, bytes: [...t.bytes], logprob: t.logprob })),
  }));
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

export interface ChatPresenterOptions {
  readonly modelId: string;
  readonly includeUsage: boolean;
  readonly streamSteps: boolean;
  /** Whether the request asked for log-probabilities. */
  readonly logprobs: boolean;
}

export class ChatPresenter implements AnswerPresenter {
  private readonly id = completionId();
  private readonly created = nowSeconds();
  private readonly callId = toolCallId();
  private sentText = '';
  private sentCall: { name: boolean; arguments: string } = { name: false, arguments: '' };
  private sentLogprobs = 0;

  constructor(private readonly options: ChatPresenterOptions) {}

  whole(result: AskResult): ChatCompletion {
    const call = result.toolCalls?.[0];
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.options.modelId,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: call ? null : result.text,
            refusal: null,
            ...(call
              ? {
                  tool_calls: [
                    { id: this.callId, type: 'function', function: { name: call.name, arguments: call.arguments } },
                  ],
                }
              : {}),
          },
          logprobs: this.choiceLogprobs(result.logprobs ?? []),
          finish_reason: result.finishReason,
        },
      ],
      usage: usageOf(result),
      system_fingerprint: null,
    };
  }

  open(): string[] {
    return [this.frame(this.chunk({ role: 'assistant', content: '' }))];
  }

  step(step: AskStep): string[] {
    const delta: ChatCompletionChunk['choices'][number]['delta'] = {};
    if (step.delta !== '') {
      delta.content = step.delta;
      this.sentText += step.delta;
    }
    const call = step.toolCall && this.callDelta(step.toolCall.name, step.toolCall.arguments);
    if (call) delta.tool_calls = [call];
    const logprobs = step.logprobs ?? [];
    this.sentLogprobs += logprobs.length;
    if (Object.keys(delta).length === 0 && !this.options.streamSteps) return [];
    return [
      this.frame(
        this.chunk(
          delta,
          null,
          logprobs.length > 0 ? this.choiceLogprobs(logprobs) : null,
          this.options.streamSteps ? stepEventOf(step) : undefined,
        ),
      ),
    ];
  }

  close(result: AskResult): string[] {
    const frames: string[] = [];
    // The steps sent a prefix of the final answer; the rest (if any) goes now.
    const rest = result.text.startsWith(this.sentText) ? result.text.slice(this.sentText.length) : '';
    const restLogprobs = (result.logprobs ?? []).slice(this.sentLogprobs);
    const call = result.toolCalls?.[0];
    const callRest = call && this.callDelta(call.name, call.arguments.slice(this.sentCall.arguments.length));
    if (rest !== '' || callRest || restLogprobs.length > 0) {
      frames.push(
        this.frame(
          this.chunk(
            { ...(rest !== '' ? { content: rest } : {}), ...(callRest ? { tool_calls: [callRest] } : {}) },
            null,
            restLogprobs.length > 0 ? this.choiceLogprobs(restLogprobs) : null,
          ),
        ),
      );
    }
    frames.push(this.frame(this.chunk({}, result.finishReason)));
    if (this.options.includeUsage) {
      frames.push(
        this.frame({
          id: this.id,
          object: 'chat.completion.chunk',
          created: this.created,
          model: this.options.modelId,
          choices: [],
          usage: usageOf(result),
          system_fingerprint: null,
        } satisfies ChatCompletionChunk),
      );
    }
    frames.push('data: [DONE]\n\n');
    return frames;
  }

  fail(error: ApiError): string[] {
    return [this.frame(error.body())];
  }

  /** A tool call's delta: id, type and name the first time, then arguments (undefined when nothing is new). */
  private callDelta(name: string | undefined, args: string): ToolCallDelta | undefined {
    if (!this.sentCall.name) {
      if (name === undefined) return undefined;
      this.sentCall = { name: true, arguments: args };
      return { index: 0, id: this.callId, type: 'function', function: { name, arguments: args } };
    }
    if (args === '') return undefined;
    this.sentCall.arguments += args;
    return { index: 0, function: { arguments: args } };
  }

  private choiceLogprobs(entries: readonly AnswerLogprob[]): ChoiceLogprobs | null {
    return this.options.logprobs ? { content: logprobsOf(entries), refusal: null } : null;
  }

  private chunk(
    delta: ChatCompletionChunk['choices'][number]['delta'],
    finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
    logprobs: ChoiceLogprobs | null = null,
    step?: DiffusionStep,
  ): ChatCompletionChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.options.modelId,
      choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
      // With include_usage every chunk before the usage chunk carries usage: null, as OpenAI's do.
      ...(this.options.includeUsage ? { usage: null } : {}),
      system_fingerprint: null,
      ...(step ? { diffusion_step: step } : {}),
    };
  }

  private frame(data: unknown): string {
    return `data: ${JSON.stringify(data)}\n\n`;
  }
}

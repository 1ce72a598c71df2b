/**
 * Responses API shapes from the pipeline's results: a `response` object whose output is an
 * assistant message (one `output_text` part) or a `function_call`, `status: "incomplete"` when
 * `max_output_tokens` cut the answer; or its stream of typed events with sequence numbers:
 * `response.created`, `response.in_progress`, the item's `output_item.added` (and for a message
 * `content_part.added`), its deltas (`output_text.delta` / `function_call_arguments.delta`), their
 * `.done` events, `output_item.done`, then `response.completed` (or `response.incomplete`).
 */
import { randomUUID } from 'node:crypto';
import type { AskResult, AskStep } from '@unmask/pipeline';
import type {
  OutputTextPart,
  ResponseObject,
  ResponseOutputItem,
  ResponseStreamEvent,
  ResponseUsage,
} from '@unmask/protocol';
import { logprobsOf, nowSeconds, stepEventOf, toolCallId } from '../chat/chat-presenter.js';
import type { AnswerPresenter } from '../chat/run-answer.js';
import type { ApiError } from '../http/api-error.js';
import type { ResponsesJob } from './responses-job.js';

const hex = () => randomUUID().replaceAll('-', '');

export function responseUsageOf(result: AskResult): ResponseUsage {
  return {
    input_tokens: result.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: result.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: result.promptTokens + result.completionTokens,
    forward_passes: result.forwardPasses,
  };
}

type Open = { kind: 'message'; text: string; logprobs: number } | { kind: 'call'; name: string; arguments: string };

export class ResponsePresenter implements AnswerPresenter {
  private readonly id = `resp_${hex()}`;
  private readonly created = nowSeconds();
  private readonly messageId = `msg_${hex()}`;
  private readonly callItemId = `fc_${hex()}`;
  private readonly callId = toolCallId();
  private sequence = 0;
  /** The output item the stream has opened, and what it has sent of it. */
  private open_: Open | undefined;

  constructor(
    private readonly job: ResponsesJob,
    private readonly modelId: string,
  ) {}

  whole(result: AskResult): ResponseObject {
    return this.response(result.finishReason === 'length' ? 'incomplete' : 'completed', [this.itemOf(result)], result);
  }

  open(): string[] {
    const frames = [
      this.event({ type: 'response.created', response: this.response('in_progress', []), sequence_number: 0 }),
      this.event({ type: 'response.in_progress', response: this.response('in_progress', []), sequence_number: 0 }),
    ];
    // Without tools the answer is a message from the start.
    if (!this.job.ask.tools) frames.push(...this.openMessage());
    return frames;
  }

  step(step: AskStep): string[] {
    const frames: string[] = [];
    if (step.toolCall?.name !== undefined && !this.open_) frames.push(...this.openCall(step.toolCall.name));
    if (step.delta !== '' && !this.open_) frames.push(...this.openMessage());
    const open = this.open_;
    if (open?.kind === 'call' && step.toolCall && step.toolCall.arguments !== '') {
      open.arguments += step.toolCall.arguments;
      frames.push(
        this.event({
          type: 'response.function_call_arguments.delta',
          output_index: 0,
          item_id: this.callItemId,
          delta: step.toolCall.arguments,
          sequence_number: 0,
        }),
      );
    }
    if (open?.kind === 'message' && (step.delta !== '' || this.job.streamSteps)) {
      open.text += step.delta;
      const logprobs = step.logprobs ?? [];
      open.logprobs += logprobs.length;
      frames.push(
        this.event({
          type: 'response.output_text.delta',
          output_index: 0,
          item_id: this.messageId,
          content_index: 0,
          delta: step.delta,
          logprobs: logprobsOf(logprobs),
          ...(this.job.streamSteps ? { diffusion_step: stepEventOf(step) } : {}),
          sequence_number: 0,
        }),
      );
    }
    return frames;
  }

  close(result: AskResult): string[] {
    const frames: string[] = [];
    const call = result.toolCalls?.[0];
    const item = this.itemOf(result);
    if (call) {
      if (!this.open_) frames.push(...this.openCall(call.name));
      const sent = this.open_?.kind === 'call' ? this.open_.arguments : '';
      const rest = call.arguments.startsWith(sent) ? call.arguments.slice(sent.length) : '';
      if (rest !== '')
        frames.push(
          this.event({
            type: 'response.function_call_arguments.delta',
            output_index: 0,
            item_id: this.callItemId,
            delta: rest,
            sequence_number: 0,
          }),
        );
      frames.push(
        this.event({
          type: 'response.function_call_arguments.done',
          output_index: 0,
          item_id: this.callItemId,
          name: call.name,
          arguments: call.arguments,
          sequence_number: 0,
        }),
      );
    } else {
      if (!this.open_) frames.push(...this.openMessage());
      const open = this.open_ as Extract<Open, { kind: 'message' }>;
      const rest = result.text.startsWith(open.text) ? result.text.slice(open.text.length) : '';
      const restLogprobs = (result.logprobs ?? []).slice(open.logprobs);
      if (rest !== '' || restLogprobs.length > 0)
        frames.push(
          this.event({
            type: 'response.output_text.delta',
            output_index: 0,
            item_id: this.messageId,
            content_index: 0,
            delta: rest,
            logprobs: logprobsOf(restLogprobs),
            sequence_number: 0,
          }),
        );
      const part = (item as Extract<ResponseOutputItem, { type: 'message' }>).content[0] as OutputTextPart;
      frames.push(
        this.event({
          type: 'response.output_text.done',
          output_index: 0,
          item_id: this.messageId,
          content_index: 0,
          text: result.text,
          logprobs: part.logprobs ?? [],
          sequence_number: 0,
        }),
        this.event({
          type: 'response.content_part.done',
          output_index: 0,
          item_id: this.messageId,
          content_index: 0,
          part,
          sequence_number: 0,
        }),
      );
    }
    frames.push(this.event({ type: 'response.output_item.done', output_index: 0, item, sequence_number: 0 }));
    const final = this.whole(result);
    frames.push(
      this.event({
        type: final.status === 'incomplete' ? 'response.incomplete' : 'response.completed',
        response: final,
        sequence_number: 0,
      }),
    );
    return frames;
  }

  fail(error: ApiError): string[] {
    return [
      this.event({
        type: 'error',
        code: error.code,
        message: error.message,
        param: error.param,
        sequence_number: 0,
      }),
    ];
  }

  private openMessage(): string[] {
    this.open_ = { kind: 'message', text: '', logprobs: 0 };
    return [
      this.event({
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'message', id: this.messageId, status: 'in_progress', role: 'assistant', content: [] },
        sequence_number: 0,
      }),
      this.event({
        type: 'response.content_part.added',
        output_index: 0,
        item_id: this.messageId,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
        sequence_number: 0,
      }),
    ];
  }

  private openCall(name: string): string[] {
    this.open_ = { kind: 'call', name, arguments: '' };
    return [
      this.event({
        type: 'response.output_item.added',
        output_index: 0,
        item: {
          type: 'function_call',
          id: this.callItemId,
          call_id: this.callId,
          name,
          arguments: '',
          status: 'in_progress',
        },
        sequence_number: 0,
      }),
    ];
  }

  private itemOf(result: AskResult): ResponseOutputItem {
    const call = result.toolCalls?.[0];
    const status = result.finishReason === 'length' ? 'incomplete' : 'completed';
    if (call)
      return {
        type: 'function_call',
        id: this.callItemId,
        call_id: this.callId,
        name: call.name,
        arguments: call.arguments,
        status,
      };
    return {
      type: 'message',
      id: this.messageId,
      status,
      role: 'assistant',
      content: [
        {
          type: 'output_text',
          text: result.text,
          annotations: [],
          ...(this.job.ask.logprobs !== undefined ? { logprobs: logprobsOf(result.logprobs ?? []) } : {}),
        },
      ],
    };
  }

  private response(status: ResponseObject['status'], output: ResponseOutputItem[], result?: AskResult): ResponseObject {
    const r = this.job.request;
    return {
      id: this.id,
      object: 'response',
      created_at: this.created,
      status,
      error: null,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: r.instructions ?? null,
      max_output_tokens: r.max_output_tokens ?? null,
      model: this.modelId,
      output,
      parallel_tool_calls: r.parallel_tool_calls ?? true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: false,
      temperature: r.temperature ?? null,
      text: { format: r.text?.format ?? { type: 'text' } },
      tool_choice: r.tool_choice ?? ((r.tools ?? []).length > 0 ? 'auto' : 'none'),
      tools: r.tools ?? [],
      top_p: r.top_p ?? null,
      truncation: 'disabled',
      usage: result ? responseUsageOf(result) : null,
      user: r.user ?? null,
      metadata: r.metadata ?? {},
    };
  }

  /** One SSE frame: the event's type as its name, the next sequence number in its data. */
  private event(event: ResponseStreamEvent): string {
    const numbered = { ...event, sequence_number: this.sequence++ };
    return `event: ${event.type}\ndata: ${JSON.stringify(numbered)}\n\n`;
  }
}

/**
 * Runs an answer job on the engine and answers it, whole or as server-sent events, in the shape
 * its protocol's presenter writes (Chat Completions: chat-presenter.ts; Responses:
 * responses/response-presenter.ts). Errors raised before the first step are ordinary HTTP
 * errors; later ones are sent as the presenter's error event.
 */
import type { FastifyReply } from 'fastify';
import type { AskResult, AskStep, Unmask } from '@unmask/pipeline';
import type { Admission } from '../admission.js';
import { type ApiError, toApiError } from '../http/api-error.js';
import type { Metrics } from '../metrics.js';
import type { AnswerJob } from './answer-job.js';
import { eventWriter } from './event-writer.js';
import type { RequestControl } from './request-control.js';

export interface RunContext {
  readonly unmask: Unmask;
  readonly modelId: string;
  readonly admission: Admission;
  readonly metrics: Metrics;
  /** How long a streamed event may wait for the client to read (STREAM_WRITE_TIMEOUT_MS). */
  readonly streamWriteTimeoutMs: number;
}

/** Writes one protocol's answer: the whole body, or its stream's events as SSE frames. */
export interface AnswerPresenter {
  whole(result: AskResult): unknown;
  open(): string[];
  step(step: AskStep): string[];
  close(result: AskResult): string[];
  fail(error: ApiError): string[];
}

export async function runAnswer(
  job: AnswerJob,
  presenter: AnswerPresenter,
  ctx: RunContext,
  control: RequestControl,
  reply: FastifyReply,
): Promise<void> {
  let release: (() => void) | undefined;
  try {
    release = await ctx.admission.acquire(control.signal);
    if (job.stream) await streamAnswer(job, presenter, ctx, control, reply);
    else await wholeAnswer(job, presenter, ctx, control, reply);
  } catch (error) {
    const explained = control.explain(error);
    // A request refused by the full queue never became a generation.
    if (release || control.cause) control.record(control.outcomeOf(explained));
    throw explained;
  } finally {
    release?.();
  }
}

function observe(ctx: RunContext, control: RequestControl, result: AskResult) {
  control.record('completed', result.forwardPasses);
  ctx.metrics.completionTokens.observe(result.completionTokens);
  ctx.metrics.promptTokens.observe(result.promptTokens);
}

async function wholeAnswer(
  job: AnswerJob,
  presenter: AnswerPresenter,
  ctx: RunContext,
  control: RequestControl,
  reply: FastifyReply,
): Promise<void> {
  const stream = ctx.unmask.askStream({ ...job.ask, signal: control.signal });
  for await (const step of stream) control.forwardPasses = step.forwardPasses;
  const result = await stream.result;
  observe(ctx, control, result);
  await reply.send(presenter.whole(result));
}

async function streamAnswer(
  job: AnswerJob,
  presenter: AnswerPresenter,
  ctx: RunContext,
  control: RequestControl,
  reply: FastifyReply,
): Promise<void> {
  const stream = ctx.unmask.askStream({ ...job.ask, signal: control.signal }, { cells: job.streamSteps });
  const steps = stream[Symbol.asyncIterator]();
  // Media and parameter errors surface here, before any byte is sent: they keep their status.
  let next = await steps.next();

  const res = reply.raw;
  reply.hijack();
  const headers = {
    ...reply.getHeaders(),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  };
  res.writeHead(200, headers as Record<string, string>);
  const writeEvent = eventWriter(res, ctx.streamWriteTimeoutMs);
  const send = async (frames: string[]) => {
    for (const frame of frames) await writeEvent(frame);
  };
  try {
    await send(presenter.open());
    while (!next.done) {
      control.forwardPasses = next.value.forwardPasses;
      await send(presenter.step(next.value));
      next = await steps.next();
    }
    const result = await stream.result;
    observe(ctx, control, result);
    await send(presenter.close(result));
  } catch (error) {
    const explained = control.explain(error);
    control.record(control.outcomeOf(explained));
    const api = toApiError(explained);
    if (api.status >= 500 && !control.clientGone) reply.log.error({ err: error }, 'stream failed');
    else reply.log.info({ status: api.status, code: api.code }, `stream ended early: ${api.message}`);
    if (!control.clientGone) await send(presenter.fail(api));
  } finally {
    res.end();
  }
}

/**
 * Runs a chat job on the engine and answers it, whole (`chat.completion`) or as server-sent
 * events (`chat.completion.chunk` deltas of the committed prefix, optional `diffusion_step`
 * fields, a finish chunk, an optional usage chunk, `[DONE]`). Errors raised before the first
 * step are ordinary HTTP errors; later ones are sent as an `error` event.
 */
import type { FastifyReply } from 'fastify';
import type { AskResult, Unmask } from '@unmask/pipeline';
import type { Admission } from '../admission.js';
import { toApiError } from '../http/api-error.js';
import type { Metrics } from '../metrics.js';
import { withRequestParams, type ChatJob } from './chat-job.js';
import { chunkFactory, completionId, completionOf, stepEventOf, usageOf } from './completion-shapes.js';
import type { RequestControl } from './request-control.js';
import { eventWriter } from './event-writer.js';

export interface RunContext {
  readonly unmask: Unmask;
  readonly modelId: string;
  readonly admission: Admission;
  readonly metrics: Metrics;
  /** How long a streamed event may wait for the client to read (STREAM_WRITE_TIMEOUT_MS). */
  readonly streamWriteTimeoutMs: number;
}

export async function runCompletion(
  job: ChatJob,
  ctx: RunContext,
  control: RequestControl,
  reply: FastifyReply,
): Promise<void> {
  let release: (() => void) | undefined;
  try {
    release = await ctx.admission.acquire(control.signal);
    if (job.stream) await streamAnswer(job, ctx, control, reply);
    else await wholeAnswer(job, ctx, control, reply);
  } catch (error) {
    const explained = control.explain(withRequestParams(error, job));
    // A request refused by the full queue never became a generation.
    if (release || control.cause) control.record(control.outcomeOf(explained));
    throw explained;
  } finally {
    release?.();
  }
}

function observe(
  ctx: RunContext,
  control: RequestControl,
  result: AskResult,
  completionTokens = result.completionTokens,
) {
  control.record('completed', result.forwardPasses);
  ctx.metrics.completionTokens.observe(completionTokens);
  ctx.metrics.promptTokens.observe(result.promptTokens);
}

async function wholeAnswer(job: ChatJob, ctx: RunContext, control: RequestControl, reply: FastifyReply): Promise<void> {
  const stream = ctx.unmask.askStream({ ...job.ask, signal: control.signal });
  for await (const step of stream) control.forwardPasses = step.forwardPasses;
  const result = await stream.result;
  observe(ctx, control, result);
  const usage = usageOf(result.promptTokens, result.completionTokens, result.forwardPasses);
  await reply.send(completionOf(completionId(), ctx.modelId, result.text, result.finishReason, usage));
}

async function streamAnswer(
  job: ChatJob,
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
  const send = (data: unknown) => writeEvent(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = chunkFactory(completionId(), ctx.modelId, job.includeUsage);
  try {
    await send(chunk({ role: 'assistant', content: '' }));
    let sent = '';
    let stopped = false;
    while (!next.done) {
      const step = next.value;
      control.forwardPasses = step.forwardPasses;
      // Once a stop sequence is reached the answer is final: later steps send nothing.
      if (!stopped) {
        const { delta } = step;
        sent += delta;
        stopped = step.stopped;
        if (delta !== '' || job.streamSteps) {
          await send(
            chunk(
              delta !== '' ? { content: delta } : {},
              null,
              job.streamSteps ? { diffusion_step: stepEventOf(step) } : {},
            ),
          );
        }
      }
      next = await steps.next();
    }
    const result = await stream.result;
    // The steps sent a prefix of the final text; the rest (if any) goes now.
    const rest = result.text.startsWith(sent) ? result.text.slice(sent.length) : '';
    if (rest !== '') await send(chunk({ content: rest }));
    const usage = usageOf(result.promptTokens, result.completionTokens, result.forwardPasses);
    observe(ctx, control, result);
    await send(chunk({}, result.finishReason));
    if (job.includeUsage) await send(chunk.usage(usage));
    await writeEvent('data: [DONE]\n\n');
  } catch (error) {
    const explained = control.explain(withRequestParams(error, job));
    control.record(control.outcomeOf(explained));
    const api = toApiError(explained);
    if (api.status >= 500 && !control.clientGone) reply.log.error({ err: error }, 'stream failed');
    else reply.log.info({ status: api.status, code: api.code }, `stream ended early: ${api.message}`);
    if (!control.clientGone) await writeEvent(`data: ${JSON.stringify(api.body())}\n\n`);
  } finally {
    res.end();
  }
}

/** `POST /v1/chat/completions`: OpenAI's Chat Completions, whole or streamed. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { chatCompletionRequestSchema, chatCompletionSchema, errorBodySchema } from '@unmask/protocol';
import type { AnswerJob, JobContext } from '../chat/answer-job.js';
import { ChatPresenter } from '../chat/chat-presenter.js';
import { chatJob } from '../chat/chat-job.js';
import { RequestControl } from '../chat/request-control.js';
import { type AnswerPresenter, runAnswer } from '../chat/run-answer.js';
import { unsupportedMedia } from '../http/api-error.js';
import type { Services } from '../services.js';
import type { FastifyReply } from 'fastify';

export const errorResponses = { '4xx': errorBodySchema, '5xx': errorBodySchema } as const;

/**
 * Runs a job under its own cancellation control (client, deadline, shutdown). The job is
 * checked by the pipeline (strategy, formats, tools, media kinds) before it takes a queue slot.
 */
export async function answer<J extends AnswerJob>(
  services: Services,
  reply: FastifyReply,
  makeJob: (signal: AbortSignal) => Promise<J>,
  presenterOf: (job: J, modelId: string) => AnswerPresenter,
): Promise<FastifyReply> {
  const { config, model, admission, metrics } = services;
  const unmask = model.require();
  const control = new RequestControl(reply.raw, config.REQUEST_TIMEOUT_MS, services.shutdown.signal, metrics);
  try {
    const job = await makeJob(control.signal);
    unmask.check(job.ask);
    await runAnswer(
      job,
      presenterOf(job, model.id),
      { unmask, modelId: model.id, admission, metrics, streamWriteTimeoutMs: config.STREAM_WRITE_TIMEOUT_MS },
      control,
      reply,
    );
    return reply;
  } finally {
    control.dispose();
  }
}

export const chatPresenter = (job: AnswerJob & { includeUsage: boolean }, modelId: string) =>
  new ChatPresenter({
    modelId,
    includeUsage: job.includeUsage,
    streamSteps: job.streamSteps,
    logprobs: job.ask.logprobs !== undefined,
  });

/** What every answer job needs from the configuration and the model. */
export const jobContextOf = (services: Services, signal: AbortSignal): JobContext => {
  const { config } = services;
  return {
    limits: { maxMediaItems: config.MAX_MEDIA_ITEMS, maxPromptChars: config.MAX_PROMPT_CHARS },
    defaultMaxTokens: config.DEFAULT_MAX_TOKENS,
    fetchPolicy: { allowHosts: config.IMAGE_URL_ALLOWLIST, maxBytes: config.MEDIA_LIMIT_BYTES, timeoutMs: 10_000 },
    conversation: services.model.unmask?.conversation ?? 'template',
    signal,
  };
};

/** Refuses a body that is not JSON (415) before it is validated. */
export async function requireJson(request: { headers: Record<string, unknown> }): Promise<void> {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type !== 'application/json')
    throw unsupportedMedia(`expected Content-Type application/json, got '${type || 'none'}'`);
}

export async function chatCompletionsRoute(app: FastifyInstance, services: Services): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Chat completion (OpenAI-compatible), with images and audio',
        description:
          'OpenAI Chat Completions. With `stream: true` the answer arrives as server-sent `chat.completion.chunk` events: deltas of the committed prefix, then a finish chunk, a usage chunk when `stream_options.include_usage`, and `[DONE]`. `diffusion.stream_steps` adds a `diffusion_step` field to one chunk per denoising step.',
        tags: ['chat'],
        body: chatCompletionRequestSchema,
        response: { 200: chatCompletionSchema, ...errorResponses },
      },
      preValidation: requireJson,
    },
    async (request, reply) =>
      answer(services, reply, (signal) => chatJob(request.body, jobContextOf(services, signal)), chatPresenter),
  );
}

/** `GET /v1/models`, `/healthz`, `/readyz`, `/metrics`. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { modelListSchema, modelSchema, type Model, type ModelList } from '@unmask/protocol';
import { ApiError } from '../http/api-error.js';
import type { Services } from '../services.js';
import { errorResponses } from './chat-completions.js';

export async function serviceRoutes(app: FastifyInstance, services: Services, startedAt: number): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const { model, metrics } = services;

  typed.get(
    '/v1/models',
    {
      schema: { summary: 'The served model', tags: ['models'], response: { 200: modelListSchema, ...errorResponses } },
    },
    async (): Promise<ModelList> => ({ object: 'list', data: [served()] }),
  );

  typed.get(
    '/v1/models/:model',
    {
      schema: {
        summary: 'One model (the served one; any other id is a 404)',
        tags: ['models'],
        params: z.object({ model: z.string() }),
        response: { 200: modelSchema, ...errorResponses },
      },
    },
    async (request): Promise<Model> => {
      const one = served();
      if (request.params.model !== one.id)
        throw new ApiError(
          404,
          'invalid_request_error',
          `the model '${request.params.model}' does not exist; this server serves '${one.id}'`,
          'model_not_found',
          'model',
        );
      return one;
    },
  );

  function served(): Model {
    const unmask = model.require();
    const modalities: ('text' | 'image' | 'audio')[] = ['text'];
    if (unmask.accepts.images) modalities.push('image');
    if (unmask.accepts.audio) modalities.push('audio');
    return {
      id: model.id,
      object: 'model',
      created: Math.floor(startedAt / 1000),
      owned_by: 'unmask',
      modalities,
      max_positions: unmask.bundle.info.maxPositions,
    };
  }

  typed.get(
    '/healthz',
    { schema: { summary: 'Liveness', tags: ['ops'], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  typed.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 once the model is loaded, while every ONNX worker serves and no shutdown has begun',
        tags: ['ops'],
        response: { 200: z.object({ status: z.literal('ready'), model: z.string() }), ...errorResponses },
      },
    },
    async (request) => {
      if (services.lifecycle.draining)
        throw new ApiError(503, 'service_unavailable', 'the server is shutting down', 'shutting_down');
      const unmask = model.require();
      const disabled = unmask.bundle.pool.disabled;
      if (disabled.length > 0) {
        request.log.error({ disabled }, 'not ready: ONNX workers disabled');
        throw new ApiError(
          503,
          'service_unavailable',
          `${disabled.length} of ${unmask.bundle.pool.size} ONNX workers are disabled after repeated crashes`,
          'worker_unhealthy',
        );
      }
      return { status: 'ready' as const, model: model.id };
    },
  );

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['ops'] } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

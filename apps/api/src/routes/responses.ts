/** `POST /v1/responses`: OpenAI's Responses API, whole or streamed, through the same pipeline as chat. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { createResponseSchema, responseObjectSchema } from '@unmask/protocol';
import { ResponsePresenter } from '../responses/response-presenter.js';
import { responsesJob } from '../responses/responses-job.js';
import type { Services } from '../services.js';
import { answer, errorResponses, jobContextOf, requireJson } from './chat-completions.js';

export async function responsesRoute(app: FastifyInstance, services: Services): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/responses',
    {
      schema: {
        summary: 'Create a response (OpenAI Responses API), with images and audio',
        description:
          'OpenAI Responses. `input` is a string or items (messages with `input_text`, `input_image`, `input_audio` or `input_file` parts; `function_call` and `function_call_output` items). `text.format` json_schema / json_object answers are grammar-constrained; function `tools` give `function_call` output items whose arguments satisfy the function schema. With `stream: true` the events are `response.created`, `response.in_progress`, `response.output_item.added`, `response.content_part.added`, `response.output_text.delta` (or `response.function_call_arguments.delta`), their `.done` events, `response.output_item.done` and `response.completed` (`response.incomplete` when `max_output_tokens` cut the answer), each with a `sequence_number`; a failure after the first event is an `error` event. Nothing is stored: `previous_response_id` and item references are refused.',
        tags: ['responses'],
        body: createResponseSchema,
        response: { 200: responseObjectSchema, ...errorResponses },
      },
      preValidation: requireJson,
    },
    async (request, reply) =>
      answer(
        services,
        reply,
        (signal) => responsesJob(request.body, jobContextOf(services, signal)),
        (job, modelId) => new ResponsePresenter(job, modelId),
      ),
  );
}

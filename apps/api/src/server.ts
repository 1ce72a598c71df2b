/**
 * The HTTP server: Fastify with zod validation and serialization, the OpenAPI document, CORS,
 * bearer auth on /v1, a depth-limited JSON parser, request ids, metrics, OpenAI-shaped errors.
 *
 *   const server = await buildServer({ config, model: Unmask.load(dir) });
 *   await server.app.listen({ port: config.PORT, host: config.HOST });
 *   ...
 *   await server.drain();   // stop accepting, finish in-flight requests
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import { pino, type Logger } from 'pino';
import type { Unmask } from '@unmask/pipeline';
import { Admission } from './admission.js';
import { idleTimeoutMs, type Config } from './config.js';
import { ApiError, badRequest, toApiError } from './http/api-error.js';
import { clientErrorHandler } from './http/client-error.js';
import { bearerCheck, routeNeedsKey } from './http/bearer-auth.js';
import { jsonDepthExceeds } from './http/json-depth.js';
import { zodValidatorCompiler } from './http/validator.js';
import { Metrics } from './metrics.js';
import { chatCompletionsRoute } from './routes/chat-completions.js';
import { mediaFormRoutes } from './routes/media-forms.js';
import { responsesRoute } from './routes/responses.js';
import { serviceRoutes } from './routes/service-routes.js';
import { siteRoutes } from './routes/site-routes.js';
import { Lifecycle, ModelState, type Services } from './services.js';

export interface ServerOptions {
  readonly config: Config;
  /** The model, or its loading: the server answers /healthz (and 503s) while it loads. */
  readonly model: Unmask | Promise<Unmask>;
  readonly logger?: Logger;
}

export interface Server {
  readonly app: FastifyInstance;
  readonly services: Services;
  /** Resolves once the model is loaded (rejects if it failed). */
  readonly ready: Promise<Unmask>;
  /** Fails /readyz, waits SHUTDOWN_GRACE_MS, stops accepting requests and waits for in-flight ones (cancelled past DRAIN_TIMEOUT_MS). */
  drain(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildServer(options: ServerOptions): Promise<Server> {
  const { config } = options;
  const logger = options.logger ?? pino({ level: config.LOG_LEVEL, redact: ['req.headers.authorization'] });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Slow clients: the whole request must arrive within HTTP_REQUEST_TIMEOUT_MS (checked every
    // second, not Node's default 30 s), a silent connection is closed after the idle timeout.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: idleTimeoutMs(config),
    http: {
      headersTimeout: Math.min(60_000, config.HTTP_REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(1000, config.HTTP_REQUEST_TIMEOUT_MS),
    },
    clientErrorHandler,
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const metrics = new Metrics();
  const model = new ModelState();
  const services: Services = {
    config,
    model,
    metrics,
    admission: new Admission(config.MAX_CONCURRENT ?? config.MAX_BATCH_SIZE ?? 8, config.QUEUE_SIZE, metrics),
    lifecycle: new Lifecycle(),
    shutdown: new AbortController(),
  };
  // Every request in flight listens for shutdown.
  setMaxListeners(0, services.shutdown.signal);
  const loadStarted = performance.now();
  const ready = Promise.resolve(options.model).then(
    (unmask) => {
      model.unmask = unmask;
      metrics.modelLoadSeconds.set((performance.now() - loadStarted) / 1000);
      metrics.prefixCacheStats = () => unmask.prefixCache?.stats();
      return unmask;
    },
    (error: unknown) => {
      model.failure = error instanceof Error ? error.message : String(error);
      throw error;
    },
  );
  ready.catch(() => {});

  // JSON bodies: Fastify's parser (prototype-poisoning checks), then a nesting limit.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) return done(error, undefined);
      if (jsonDepthExceeds(value, config.MAX_JSON_DEPTH)) {
        return done(
          badRequest(`the JSON body nests deeper than ${config.MAX_JSON_DEPTH} levels`, null, 'json_too_deep'),
          undefined,
        );
      }
      done(null, value);
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const started = performance.now();
    reply.raw.once('close', () => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.raw.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    });
  });

  app.setErrorHandler(async (error, request, reply) => {
    const api = toApiError(error);
    if (api.status === 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: api.status, code: api.code, param: api.param }, api.message);
    if (reply.raw.headersSent || reply.raw.destroyed) return;
    return reply.code(api.status).headers(api.headers).send(api.body());
  });
  app.setNotFoundHandler(async (request, reply) => {
    const api = new ApiError(
      404,
      'not_found_error',
      `no route ${request.method} ${request.url.split('?')[0]}`,
      'not_found',
    );
    return reply.code(404).send(api.body());
  });

  if (config.CORS_ORIGIN !== 'off') {
    const origins = config.CORS_ORIGIN.split(',').map((o) => o.trim());
    await app.register(fastifyCors, {
      origin: origins.includes('*') ? '*' : origins,
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  // After CORS (so a 401 carries its headers), before any body is read: the key is checked on the
  // route Fastify matched, never on the raw URL. CORS preflights carry no credentials.
  if (config.API_KEY) {
    const checkKey = bearerCheck(config.API_KEY);
    const scope = { metrics: config.PROTECT_METRICS, docs: config.PROTECT_DOCS };
    app.addHook('onRequest', async (request) => {
      if (request.method !== 'OPTIONS' && routeNeedsKey(request.routeOptions.url, scope))
        checkKey(request.headers.authorization);
    });
  }
  await app.register(fastifyMultipart, { limits: { fileSize: config.MEDIA_LIMIT_BYTES } });
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'unmask API',
        description: 'OpenAI-compatible multimodal API for masked-diffusion language models',
        version: '0.1.0',
      },
      ...(config.API_KEY
        ? {
            components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
            security: [{ bearer: [] }],
          }
        : {}),
    },
    transform: jsonSchemaTransform,
  });

  const startedAt = Date.now();
  await app.register(async (scope) => chatCompletionsRoute(scope, services));
  await app.register(async (scope) => responsesRoute(scope, services));
  await app.register(async (scope) => mediaFormRoutes(scope, services));
  await app.register(async (scope) => serviceRoutes(scope, services, startedAt));
  await app.register(async (scope) => siteRoutes(scope, config.DEMO_DIR));

  // Shutdown: /readyz fails first (a load balancer stops sending), requests are still served for
  // SHUTDOWN_GRACE_MS, then the listener closes and in-flight work drains (cancelled past DRAIN_TIMEOUT_MS).
  let draining: Promise<void> | undefined;
  const drain = () => {
    draining ??= (async () => {
      services.lifecycle.draining = true;
      if (config.SHUTDOWN_GRACE_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_GRACE_MS));
      const timer = setTimeout(() => services.shutdown.abort(), config.DRAIN_TIMEOUT_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
      }
    })();
    return draining;
  };
  return { app, services, ready, drain };
}

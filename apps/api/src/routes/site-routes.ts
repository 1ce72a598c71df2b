/** The demo's built files at `/` (when built), else a plain page; the OpenAPI document and its docs page. */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwaggerUi from '@fastify/swagger-ui';

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>unmask</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>unmask</h1>
<p>The API server is running. The demo is not built, so there is nothing to show here yet.</p>
<ul>
<li><a href="/docs">API docs</a> (<a href="/openapi.json">openapi.json</a>)</li>
<li><code>POST /v1/chat/completions</code>, <code>POST /v1/vqa</code>, <code>POST /v1/slu</code>, <code>GET /v1/models</code></li>
<li><a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
</ul>
</body></html>
`;

export async function siteRoutes(app: FastifyInstance, demoDir: string): Promise<void> {
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (existsSync(demoDir)) {
    await app.register(fastifyStatic, { root: demoDir, prefix: '/', wildcard: true });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(NOT_BUILT),
    );
  }
}

/**
 * `Authorization: Bearer <key>` checked in constant time (both sides hashed to equal length first),
 * and which routes need it. The decision is made on the route Fastify matched (its URL pattern),
 * never on the raw request URL: the router percent-decodes paths (`/%761/models` is `/v1/models`),
 * so a prefix test on the raw URL can be walked around.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-error.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function bearerCheck(apiKey: string): (authorization: string | undefined) => void {
  const expected = digest(apiKey);
  return (authorization) => {
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    const given = match?.[1]?.trim();
    if (!given)
      throw new ApiError(
        401,
        'authentication_error',
        'missing API key: send Authorization: Bearer <key>',
        'missing_api_key',
      );
    if (!timingSafeEqual(digest(given), expected))
      throw new ApiError(401, 'authentication_error', 'incorrect API key', 'invalid_api_key');
  };
}

/** Which matched routes need the key: every `/v1/` route, and optionally metrics and the API docs. */
export interface AuthScope {
  readonly metrics: boolean;
  readonly docs: boolean;
}

/** True when the route pattern Fastify matched (undefined: no route, the 404 handler) needs the key. */
export function routeNeedsKey(routePattern: string | undefined, scope: AuthScope): boolean {
  if (routePattern === undefined) return false;
  if (routePattern.startsWith('/v1/')) return true;
  if (scope.metrics && routePattern === '/metrics') return true;
  return (
    scope.docs && (routePattern === '/openapi.json' || routePattern === '/docs' || routePattern.startsWith('/docs/'))
  );
}

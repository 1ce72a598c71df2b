/** `Authorization: Bearer <key>` checked in constant time (both sides hashed to equal length first). */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-error.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function bearerCheck(apiKey: string): (authorization: string | undefined) => void {
  const expected = digest(apiKey);
  return (authorization) => {
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    const given = match?.[1]?.trim();
    if (!given) throw new ApiError(401, 'authentication_error', 'missing API key: send Authorization: Bearer <key>', 'missing_api_key');
    if (!timingSafeEqual(digest(given), expected)) throw new ApiError(401, 'authentication_error', 'incorrect API key', 'invalid_api_key');
  };
}

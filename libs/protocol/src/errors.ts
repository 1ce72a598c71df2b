/** OpenAI's error body: `{error: {message, type, param, code}}`. */
import { z } from 'zod';

export const ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'not_found_error',
  'rate_limit_error',
  'timeout_error',
  'server_error',
  'service_unavailable',
] as const;

export const errorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.enum(ERROR_TYPES),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
export type ErrorType = (typeof ERROR_TYPES)[number];

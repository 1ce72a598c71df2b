/**
 * Every failure becomes an `ApiError`: an HTTP status plus OpenAI's error body. `toApiError`
 * maps the engine's `UnmaskError` codes, Fastify's own errors (body limits, content types,
 * JSON syntax, validation) and anything unexpected (500, no stack trace, nothing internal).
 */
import { isUnmaskError, type UnmaskErrorCode } from '@unmask/core';
import type { ErrorBody, ErrorType } from '@unmask/protocol';
import { RequestValidationError } from './validator.js';
import { describeIssues } from './zod-issues.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = 'invalid_parameter') =>
  new ApiError(400, 'invalid_request_error', message, code, param);
export const unsupportedMedia = (message: string, param: string | null = null) =>
  new ApiError(415, 'invalid_request_error', message, 'unsupported_media_type', param);
export const tooLarge = (message: string, param: string | null = null) =>
  new ApiError(413, 'invalid_request_error', message, 'too_large', param);

const BY_CODE: Record<UnmaskErrorCode, { status: number; type: ErrorType }> = {
  invalid_parameter: { status: 400, type: 'invalid_request_error' },
  unsupported_parameter: { status: 400, type: 'invalid_request_error' },
  context_length_exceeded: { status: 400, type: 'invalid_request_error' },
  constraint_unsatisfiable: { status: 400, type: 'invalid_request_error' },
  invalid_media: { status: 422, type: 'invalid_request_error' },
  too_large: { status: 413, type: 'invalid_request_error' },
  timeout: { status: 504, type: 'timeout_error' },
  // A request is only aborted by its own client (who no longer listens) or by shutdown.
  aborted: { status: 503, type: 'service_unavailable' },
  invalid_bundle: { status: 500, type: 'server_error' },
  runtime_error: { status: 500, type: 'server_error' },
};

/** Fastify's own error codes that are the client's fault. */
const FASTIFY: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'the request body is empty; expected a JSON object',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'expected a multipart/form-data body',
  },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'too_large' },
  FST_PARTS_LIMIT: { status: 413, code: 'too_large' },
  FST_FILES_LIMIT: { status: 413, code: 'too_large' },
  FST_FIELDS_LIMIT: { status: 413, code: 'too_large' },
  FST_PROTO_VIOLATION: { status: 400, code: 'invalid_json' },
};

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isUnmaskError(error)) {
    const { status, type } = BY_CODE[error.code];
    if (status >= 500)
      return new ApiError(
        status,
        type,
        status === 500 ? 'the model failed to answer this request' : error.message,
        error.code,
      );
    return new ApiError(status, type, error.message, error.code, error.param ?? null);
  }
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (error instanceof RequestValidationError) {
    const { message, param } = describeIssues(error.issues);
    return badRequest(message, param);
  }
  if (typeof e.code === 'string' && FASTIFY[e.code]) {
    const known = FASTIFY[e.code] as { status: number; code: string; message?: string };
    return new ApiError(known.status, 'invalid_request_error', known.message ?? String(e.message), known.code);
  }
  if (error instanceof SyntaxError)
    return badRequest(`the body is not valid JSON: ${error.message}`, null, 'invalid_json');
  // Other 4xx errors Fastify raises carry their own safe message.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.message === 'string') {
    return new ApiError(e.statusCode, 'invalid_request_error', e.message, typeof e.code === 'string' ? e.code : null);
  }
  return new ApiError(500, 'server_error', 'internal server error', 'internal_error');
}

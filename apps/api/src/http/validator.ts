/**
 * Fastify's validator compiler over zod, keeping zod's issues intact (the type provider's own
 * compiler flattens them into JSON-pointer strings), so a 400 names the exact field.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { ZodType } from 'zod';
import type { ZodIssue } from './zod-issues.js';

export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  readonly statusCode = 400;
  constructor(readonly issues: readonly ZodIssue[]) {
    super('request validation failed');
  }
}

export const zodValidatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    return result.success
      ? { value: result.data }
      : { error: new RequestValidationError(result.error.issues as readonly ZodIssue[]) };
  };

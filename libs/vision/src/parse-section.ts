/**
 * A bundle's vision settings (`vision.processor`, `vision.anyres`) checked against their zod schema:
 * the parsed value, or `invalid_bundle` naming `source` and the first offending field.
 */
import type { z } from 'zod';
import { UnmaskError } from '@unmask/core';

export function parseSection<T extends z.ZodType>(schema: T, value: unknown, source: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : '(root)';
  throw new UnmaskError('invalid_bundle', `${source}: ${field}: ${issue?.message ?? 'invalid'}`, `${source}.${field}`);
}

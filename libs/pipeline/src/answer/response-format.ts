/**
 * What the answer must be: OpenAI's `response_format` (`json_object`, `json_schema`; `text` is
 * free) and the constraints beyond it (`regex`, `choice`), as the engine's constraint spec. The
 * constraint is compiled against the bundle's vocabulary (constraint-cache.ts) and keeps every
 * commit of the diffusion canvas completable, so the answer always parses and validates.
 */
import type { ConstraintSpec } from '@unmask/core';

export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly schema: unknown }
  | { readonly type: 'regex'; readonly pattern: string }
  | { readonly type: 'choice'; readonly choices: readonly string[] };

/** The constraint for `format`, or undefined for free text. */
export function constraintOf(format: ResponseFormat | undefined): ConstraintSpec | undefined {
  switch (format?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      // Validated when compiled (token-constraint.ts), with errors naming the request field.
      return { type: 'json_schema', schema: format.schema as Record<string, unknown> };
    case 'regex':
      return { type: 'regex', pattern: format.pattern };
    case 'choice':
      return { type: 'choice', choices: [...format.choices] };
  }
}

/** The request field a format's errors name, by the request's names for the format and its schema. */
export function formatParam(
  format: ResponseFormat,
  fields: { readonly responseFormat: string; readonly responseSchema: string } = {
    responseFormat: 'responseFormat',
    responseSchema: 'responseFormat.schema',
  },
): string {
  switch (format.type) {
    case 'json_schema':
      return fields.responseSchema;
    case 'regex':
      return `${fields.responseFormat}.pattern`;
    case 'choice':
      return `${fields.responseFormat}.choices`;
    default:
      return fields.responseFormat;
  }
}

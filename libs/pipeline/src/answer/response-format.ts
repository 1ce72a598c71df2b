/**
 * OpenAI's `response_format` as a structure prior: `json_object` fixes the braces around one
 * free slot, `json_schema` scaffolds the schema (json-scaffold.ts), `text` leaves the answer
 * free. This is the one function that turns a format into decoding constraints; grammar-
 * constrained decoding replaces it here.
 */
import type { ResponseTemplate } from '@unmask/core';
import { scaffoldFromJsonSchema } from './json-scaffold.js';

export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly schema: unknown };

/** The template for `format`, or undefined for free text. `answerLength` is the free slot's length. */
export function responseTemplate(
  format: ResponseFormat | undefined,
  encode: (text: string) => number[],
  answerLength: number,
): ResponseTemplate | undefined {
  switch (format?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      return {
        parts: [
          { type: 'text', ids: encode('{') },
          { type: 'slot', length: answerLength },
          { type: 'text', ids: encode('}') },
        ],
      };
    case 'json_schema':
      return scaffoldFromJsonSchema(format.schema, { encode });
  }
}

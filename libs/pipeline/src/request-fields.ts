/**
 * The names errors give a request's fields. A caller translating its own request (an HTTP body)
 * passes its field names down with it: each medium the name of the field it came from, each
 * offered function its own, the scalar fields a table (`RequestFields`), so that every error
 * names the caller's field (`messages[1].content[0].image_url.url`, `max_tokens`) as it is
 * raised. Core names its own parameters (`promptIds`, `constraint`, `strategy.…`) where it takes
 * no name from us; `inRequestTerms` names those once, where the pipeline calls it.
 */
import { isUnmaskError, UnmaskError } from '@unmask/core';

/**
 * An image or a WAV: its bytes, or its bytes with the name of the request field they came from,
 * which its errors name (default `image` / `images[i]`, `audio` / `audio[i]`).
 */
export type MediaInput = Uint8Array | { readonly data: Uint8Array; readonly field: string };

/** How the caller's request names this one's fields; each defaults to the pipeline's own name. */
export interface RequestFields {
  /** The conversation: the prompt and its history (`messages`, `input`). */
  readonly prompt?: string;
  readonly maxTokens?: string;
  readonly responseFormat?: string;
  /** The JSON schema of a `json_schema` response format (`response_format.json_schema.schema`). */
  readonly responseSchema?: string;
  /** The offered functions as a whole (each function names itself: `ToolFunction.field`). */
  readonly tools?: string;
  readonly toolChoice?: string;
  readonly logprobs?: string;
  /** The strategy object; its parameters are named under it (`diffusion.strategy.steps`). */
  readonly strategy?: string;
}

export type FieldNames = Required<RequestFields>;

/** The pipeline's own names, for a request that brings none. */
export const PIPELINE_FIELDS: FieldNames = {
  prompt: 'prompt',
  maxTokens: 'maxTokens',
  responseFormat: 'responseFormat',
  responseSchema: 'responseFormat.schema',
  tools: 'tools.functions',
  toolChoice: 'tools.choice',
  logprobs: 'logprobs',
  strategy: 'strategy',
};

export function fieldNames(fields: RequestFields | undefined): FieldNames {
  return { ...PIPELINE_FIELDS, ...fields };
}

/** A medium's bytes and the field its errors name. */
export interface Medium {
  readonly data: Uint8Array;
  readonly field: string;
}

/** The request's images or sounds with their fields (`kind` / `kind[i]` when they bring none). */
export function media(inputs: readonly MediaInput[] | undefined, kind: 'image' | 'audio'): Medium[] {
  const list = inputs ?? [];
  const plural = kind === 'image' ? 'images' : 'audio';
  return list.map((input, i) =>
    input instanceof Uint8Array ? { data: input, field: list.length > 1 ? `${plural}[${i}]` : kind } : input,
  );
}

/**
 * An error core raised under its own parameter name, named by the request's field instead: the
 * prompt's positions (`promptIds`), the answer length (`maxTokens`), the constraint, the strategy
 * and its parameters. The message's leading name is replaced too. Other errors, and every error
 * of a request that brings no field names, pass unchanged.
 */
export function inRequestTerms(error: unknown, fields: FieldNames | undefined, constraint: string): unknown {
  if (!fields || !isUnmaskError(error) || error.param === undefined) return error;
  const old = error.param;
  const byName: Record<string, string> = {
    promptIds: fields.prompt,
    maxTokens: fields.maxTokens,
    logprobs: fields.logprobs,
    constraint,
  };
  const param =
    byName[old] ??
    (old === 'strategy' || old.startsWith('strategy.') ? fields.strategy + old.slice('strategy'.length) : undefined);
  if (param === undefined || param === old) return error;
  const message =
    error.message.startsWith(`${old}:`) || error.message.startsWith(`${old} `)
      ? `${param}${error.message.slice(old.length)}`
      : `${param}: ${error.message}`;
  return new UnmaskError(error.code, message, param, { cause: error });
}

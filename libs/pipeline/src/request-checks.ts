/**
 * What a request asks for, read and checked against a bundle without running a model: the
 * strategy over the model's decoding defaults, the canvas lengths it may get, the constraint of
 * its response format or tools, its bound on answer tokens. `Unmask` checks every request here
 * before any medium is read, and reads the same answers again when it decodes.
 */
import {
  constraintPattern,
  DAEDAL_DEFAULTS,
  MAX_TOP_LOGPROBS,
  parseStrategy,
  resolveStrategy,
  templateLength,
  UnmaskError,
  withStrategyDefaults,
  type Bundle,
  type ConstraintSpec,
  type StrategySpec,
} from '@unmask/core';
import type { AskRequest } from './ask-request.js';
import { constraintOf, formatParam, type ResponseFormat } from './answer/response-format.js';
import { DEFAULT_TOOL_CALL_FORMAT, planToolCall, type ToolPlan } from './answer/tool-calls.js';
import { media, type FieldNames } from './request-fields.js';
import { checkRequestShape, type RequestLimits } from './request-budget.js';

export class RequestChecks {
  constructor(
    private readonly bundle: Bundle,
    /** What the model accepts (`Unmask.accepts`). */
    private readonly accepts: { readonly images: boolean; readonly audio: boolean },
    readonly limits: RequestLimits,
  ) {}

  /** `Unmask.check` by the request's field names (errors not yet in the request's terms). */
  check(request: AskRequest, fields: FieldNames): void {
    if (typeof request.prompt !== 'string' || request.prompt.trim() === '')
      throw new UnmaskError('invalid_parameter', `${fields.prompt} must be a non-empty string`, fields.prompt);
    const images = media(request.images, 'image');
    const sounds = media(request.audio, 'audio');
    // The one check of the media a model takes: here, before any medium is read.
    for (const [given, accepted, kind] of [
      [images, this.accepts.images, 'images'],
      [sounds, this.accepts.audio, 'audio'],
    ] as const) {
      const first = given[0];
      if (first && !accepted)
        throw new UnmaskError('invalid_parameter', `${first.field}: this model takes no ${kind}`, first.field);
    }
    checkRequestShape(request.prompt, request.history ?? [], images, sounds, this.limits, fields.prompt);
    const strategy = this.strategySpec(request, fields);
    const lengths = this.canvasLengths(request, fields);
    if (!lengths.some((length) => strategyFits(strategy, length)))
      resolveStrategy(strategy, lengths[0] as number, fields.strategy);
    const { spec, param } = this.constraintSpec(request, fields);
    if (spec) constraintPattern(spec, param);
    const { logprobs } = request;
    if (logprobs !== undefined && (!Number.isInteger(logprobs) || logprobs < 0 || logprobs > MAX_TOP_LOGPROBS))
      throw new UnmaskError(
        'invalid_parameter',
        `${fields.logprobs} must be an integer from 0 to ${MAX_TOP_LOGPROBS}, got ${logprobs}`,
        fields.logprobs,
      );
    if (logprobs !== undefined && request.template)
      throw new UnmaskError(
        'invalid_parameter',
        `${fields.logprobs}: log-probabilities are not reported for a template`,
        fields.logprobs,
      );
  }

  /** The request's strategy over the model's decoding defaults, as the engine will read it. */
  strategySpec(request: AskRequest, fields: FieldNames): StrategySpec {
    return parseStrategy(withStrategyDefaults(request.strategy, this.bundle.decodingDefaults), fields.strategy);
  }

  /** The canvas lengths a request may get (before the prompt's length is known). */
  canvasLengths(request: AskRequest, fields: FieldNames): number[] {
    if (request.template) return [templateLength(request.template)];
    const bound = this.maxTokensOf(request);
    if (!Number.isInteger(bound) || bound < 1)
      throw new UnmaskError(
        'invalid_parameter',
        `${fields.maxTokens} must be a positive integer, got ${bound}`,
        fields.maxTokens,
      );
    const trained = this.bundle.manifest.generation?.answer_length ?? this.bundle.decodingDefaults?.max_tokens;
    if (request.fixedCanvas) return [bound];
    if (trained !== undefined) return [Math.min(trained, bound)];
    // DAEDAL: from its initial length, by its step, up to the bound (and any length it grows on to).
    const lengths = [Math.min(DAEDAL_DEFAULTS.initial, bound)];
    for (let l = (lengths[0] as number) + 1; l <= bound; l++) lengths.push(l);
    return lengths;
  }

  /** The constraint a request's response format or tools ask for, and the field its errors name. */
  constraintSpec(request: AskRequest, fields: FieldNames): { spec?: ConstraintSpec; param: string; plan?: ToolPlan } {
    const format = request.responseFormat;
    const spec = constraintOf(format);
    if (request.tools) {
      if (spec)
        throw new UnmaskError(
          'invalid_parameter',
          `${fields.responseFormat}: give tools or a response format, not both`,
          fields.responseFormat,
        );
      const format = this.bundle.manifest.generation?.tool_calls ?? DEFAULT_TOOL_CALL_FORMAT;
      const plan = planToolCall(request.tools, format, fields);
      return { spec: plan.spec, param: fields.tools, plan };
    }
    return spec ? { spec, param: formatParam(format as ResponseFormat, fields) } : { param: fields.responseFormat };
  }

  /** The field a constraint's own errors (too large, unsatisfiable) name: the tools or the response format. */
  constraintField(request: AskRequest, fields: FieldNames): string {
    return request.tools ? fields.tools : fields.responseFormat;
  }

  /** The request's bound on answer tokens: its own, else the model's decoding defaults, else 32. */
  maxTokensOf(request: AskRequest): number {
    return request.maxTokens ?? this.bundle.decodingDefaults?.max_tokens ?? 32;
  }
}

/** Whether a strategy can decode a canvas of `length` (its steps and blocks fit it). */
export function strategyFits(strategy: StrategySpec, length: number): boolean {
  try {
    resolveStrategy(strategy, length);
    return true;
  } catch {
    return false;
  }
}

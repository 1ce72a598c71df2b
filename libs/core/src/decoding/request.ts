/**
 * A generation request as the engine receives it, and its validation against the model.
 */
import { UnmaskError } from '../errors.js';
import { inputVocabSize, type ModelInfo, type SplicedEmbeddings } from '../model/language-model.js';
import type { TokenConstraint } from './constraints/token-constraint.js';
import { CACHE_MODES, type CacheMode } from '../options/cache-modes.js';
import { MropePositions } from './mrope-positions.js';
import { type DecodingDefaults, withStrategyDefaults } from './decoding-defaults.js';
import { samplingOptionsSchema, type SamplingInput } from '../options/sampling-options.js';
import type { StrategyInput } from '../options/strategy-options.js';
import type { ResolvedSampling } from './sampling.js';
import { parseStrategy, resolveStrategy, type ResolvedStrategy } from './strategy.js';
import { plainTemplate, responseTemplateSchema, templateLength, type ResponseTemplate } from './template.js';

export interface GenerateRequest {
  /** The prompt's token ids (chat template already applied). */
  readonly promptIds: readonly number[];
  /** Image or audio features spliced over prompt positions (offsets into the prompt). */
  readonly embeddings?: readonly SplicedEmbeddings[];
  /**
   * Only for models with multimodal rotary (M-RoPE): the prompt's positions, `3 × promptIds.length`
   * numbers, row-major [3, prompt] (temporal, height, width). The answer continues one past the
   * largest. Omitted: every component is the token's index.
   */
  readonly mropePositions?: ArrayLike<number>;
  /** Length of the answer canvas when no template is given (default: the model's, else 32). */
  readonly maxTokens?: number;
  /** A structure prior; its length replaces `maxTokens`. */
  readonly template?: ResponseTemplate;
  /**
   * Strategy by name with its parameters (validated). What it leaves out comes from the model's
   * decoding defaults, else the built-in ones (`confident` at τ = 0.9).
   */
  readonly strategy?: StrategyInput | Record<string, unknown> | unknown;
  readonly sampling?: SamplingInput;
  /** Key/value caching (default: the model's, else `none`). */
  readonly cache?: CacheMode;
  /**
   * The first `sharedPrefix` prompt positions are a prefix other requests may share (an image's
   * rows, a system prompt): with an engine `prefixCache`, their keys/values are computed over
   * the prefix alone, kept across requests and reused by any request starting with the same
   * tokens and features; the rest of the prompt and the answer attend to them. At most the
   * prompt's length (one less with shifted logits). Without a `prefixCache` it is ignored.
   */
  readonly sharedPrefix?: number;
  /** Cancels the request between steps. */
  readonly signal?: AbortSignal;
  /**
   * Keeps the answer in a language (JSON Schema, JSON, regex, choice), compiled against this
   * model's vocabulary (`TokenConstraint`); needs a plain canvas (no template).
   */
  readonly constraint?: TokenConstraint;
  /**
   * Record each committed token's log-probability at its step (`CommittedToken.logprob`,
   * `DecodeResult.logprobs`) with this many most likely alternatives (0 to 20). Omitted: none.
   */
  readonly logprobs?: number;
}

/** Most alternatives `logprobs` may ask for (OpenAI's `top_logprobs` limit). */
export const MAX_TOP_LOGPROBS = 20;

export interface ValidatedRequest {
  readonly promptIds: Int32Array;
  readonly embeddings: readonly SplicedEmbeddings[];
  readonly mropePositions?: MropePositions;
  readonly template: ResponseTemplate;
  readonly answerLength: number;
  readonly strategy: ResolvedStrategy;
  readonly sampling: ResolvedSampling;
  readonly cache: CacheMode;
  /** The end-of-turn token, when the model's defaults name one (LLaDA's `confidence_eos_eot_inf`). */
  readonly eotTokenId?: number;
  /** Prompt positions shared through the engine's prefix cache (0: none). */
  readonly sharedPrefix: number;
  readonly signal: AbortSignal | undefined;
  readonly constraint?: TokenConstraint;
  /** Alternatives per committed token when log-probabilities are recorded. */
  readonly logprobs?: number;
}

const invalid = (message: string, param: string) => new UnmaskError('invalid_parameter', message, param);

export function validateRequest(
  request: GenerateRequest,
  info: ModelInfo,
  defaults?: DecodingDefaults,
): ValidatedRequest {
  const { promptIds } = request;
  if (!Array.isArray(promptIds) && !ArrayBuffer.isView(promptIds))
    throw invalid('promptIds must be an array of token ids', 'promptIds');
  const readable = inputVocabSize(info);
  promptIds.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= readable) {
      throw invalid(
        `promptIds[${i}] = ${id} is not a token id of this model (vocabulary size ${readable})`,
        'promptIds',
      );
    }
  });
  if (info.shiftedLogits && promptIds.length === 0) {
    throw invalid('a model with shifted logits needs a prompt of at least one token', 'promptIds');
  }

  let template: ResponseTemplate;
  if (request.template !== undefined) {
    const parsed = responseTemplateSchema.safeParse(request.template);
    if (!parsed.success) throw invalid(`template: ${parsed.error.issues[0]?.message}`, 'template');
    template = parsed.data;
    for (const part of template.parts) {
      if (part.type === 'text' && part.ids.some((id) => id >= info.vocabSize))
        throw invalid('template holds a token id outside the vocabulary', 'template');
    }
  } else {
    const maxTokens = request.maxTokens ?? defaults?.max_tokens ?? 32;
    if (!Number.isInteger(maxTokens) || maxTokens < 1)
      throw invalid(`maxTokens must be a positive integer, got ${maxTokens}`, 'maxTokens');
    template = plainTemplate(maxTokens);
  }
  const answerLength = templateLength(template);
  if (request.constraint !== undefined) {
    if (template.parts.length !== 1 || template.parts[0]?.type !== 'slot')
      throw invalid('a constraint needs a plain canvas, not a response template', 'constraint');
    if (request.constraint.vocabulary.size !== info.vocabSize)
      throw invalid(
        `the constraint was compiled for a vocabulary of ${request.constraint.vocabulary.size} ids, the model has ${info.vocabSize}`,
        'constraint',
      );
  }
  if (promptIds.length + answerLength > info.maxPositions) {
    throw new UnmaskError(
      'context_length_exceeded',
      `the prompt (${promptIds.length} tokens) plus the answer (${answerLength} positions) exceeds the model's ${info.maxPositions} positions`,
      'promptIds',
    );
  }

  const embeddings = request.embeddings ?? [];
  embeddings.forEach((e, i) => {
    if (e.offset < 0 || e.count < 0 || e.offset + e.count > promptIds.length) {
      throw invalid(
        `embeddings[${i}] covers positions ${e.offset}..${e.offset + e.count} outside the prompt (${promptIds.length} tokens)`,
        'embeddings',
      );
    }
    if (e.data.length !== e.count * info.hiddenSize) {
      throw invalid(
        `embeddings[${i}] has ${e.data.length} values; ${e.count} positions × hidden size ${info.hiddenSize} = ${e.count * info.hiddenSize}`,
        'embeddings',
      );
    }
  });

  const parsedSampling = samplingOptionsSchema.safeParse(request.sampling ?? {});
  if (!parsedSampling.success) {
    const issue = parsedSampling.error.issues[0];
    const path = ['sampling', ...(issue?.path ?? [])].join('.');
    throw invalid(`${path}: ${issue?.message}`, path);
  }
  const merged = { ...defaults?.sampling, ...parsedSampling.data };
  const sampling: ResolvedSampling = { ...merged, temperature: merged.temperature ?? 0 };
  const { logprobs } = request;
  if (logprobs !== undefined && (!Number.isInteger(logprobs) || logprobs < 0 || logprobs > MAX_TOP_LOGPROBS))
    throw invalid(`logprobs must be an integer from 0 to ${MAX_TOP_LOGPROBS}, got ${logprobs}`, 'logprobs');
  const cache = request.cache ?? defaults?.cache ?? 'none';
  if (!CACHE_MODES.includes(cache))
    throw invalid(`cache must be one of ${CACHE_MODES.join(', ')}, got ${JSON.stringify(cache)}`, 'cache');
  const strategy = resolveStrategy(parseStrategy(withStrategyDefaults(request.strategy, defaults)), answerLength);
  if (strategy.cfgScale > 0 && cache !== 'none') {
    throw invalid(
      `strategy.cfg_scale needs cache "none" (the unconditional pass keeps no cache), got cache "${cache}"`,
      'strategy.cfg_scale',
    );
  }
  const unknownId = [...strategy.suppressTokens, ...strategy.stopTokens].find((id) => id >= info.vocabSize);
  if (unknownId !== undefined)
    throw invalid(`strategy: token id ${unknownId} is outside the vocabulary (${info.vocabSize})`, 'strategy');

  const sharedPrefix = request.sharedPrefix ?? 0;
  const shift = info.shiftedLogits ? 1 : 0;
  if (!Number.isInteger(sharedPrefix) || sharedPrefix < 0 || sharedPrefix > promptIds.length - shift) {
    throw invalid(
      `sharedPrefix must be an integer from 0 to ${promptIds.length - shift} (the prompt's ${promptIds.length} tokens${shift ? ', less the one whose logits predict the first answer position' : ''}), got ${sharedPrefix}`,
      'sharedPrefix',
    );
  }
  if (sharedPrefix > 0 && strategy.cfgScale > 0)
    throw invalid('sharedPrefix needs strategy.cfg_scale 0 (the unconditional pass masks the prompt)', 'sharedPrefix');

  return {
    promptIds: Int32Array.from(promptIds),
    embeddings,
    ...(request.mropePositions === undefined
      ? {}
      : { mropePositions: MropePositions.of(request.mropePositions, promptIds.length) }),
    template,
    answerLength,
    strategy,
    sampling,
    cache,
    ...(defaults?.eot_token_id === undefined ? {} : { eotTokenId: defaults.eot_token_id }),
    sharedPrefix,
    signal: request.signal,
    ...(request.constraint ? { constraint: request.constraint } : {}),
    ...(logprobs !== undefined ? { logprobs } : {}),
  };
}

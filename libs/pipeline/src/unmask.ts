/**
 * The pipeline: a loaded bundle with its decoding engine and media towers. `prepare` takes a
 * request up to the answer canvas (checks, prompt, media through the towers); `generate` decodes
 * a prepared prompt, yielding every denoising step with the answer's new text (and, when asked,
 * the text of each canvas cell, for live display). `ask` / `askStream` are the two in one call.
 * The answer's text (stop sequences, where it ends, JSON response formats) is decided here, not
 * by callers.
 *
 *   const unmask = await Unmask.load();            // the embedded default model
 *   const { text } = await unmask.ask({ prompt: 'what color is the circle', images: [png] });
 */
import {
  chooseAnswerLength,
  DecodingEngine,
  loadBundle,
  PrefixCache,
  templateLength,
  UnmaskError,
  type Bundle,
  type CacheMode,
  type LoadBundleOptions,
  type SharedPrefixContext,
  type SplicedEmbeddings,
} from '@unmask/core';
import { AnswerLogprobs } from './answer/answer-logprobs.js';
import type { AskRequest, AskResult, AskStream, PreparedPrompt, StreamOptions } from './ask-request.js';
import { AnswerText } from './answer/answer-text.js';
import { ConstraintCache } from './answer/constraint-cache.js';
import { finishDecoding, stepReader, type Decoding } from './decoded-answer.js';
import { ToolAnswerText } from './answer/tool-calls.js';
import { defaultModelDir } from './default-model.js';
import { AudioTower, ImageTower, type MediaFeatures, type MediaLimits } from './media-encoders.js';
import { buildPrompt, templateMessage, templateTools, tokenizePrompt, userMessage } from './prompt-builder.js';
import { RequestChecks, strategyFits } from './request-checks.js';
import { WholeAnswerCheck } from './whole-answer-check.js';
import { type ConversationMode, withConversationMedia } from './conversation-media.js';
import { fieldNames, inRequestTerms, media, type FieldNames } from './request-fields.js';
import {
  checkPositions,
  MediaTally,
  parseRequestLimits,
  throwIfAborted,
  type RequestLimits,
} from './request-budget.js';

export interface UnmaskOptions extends LoadBundleOptions {
  /** Rows per forward pass (default: the bundle's `lm.max_batch_size`, else 8). */
  readonly maxBatchSize?: number;
  readonly limits?: MediaLimits;
  /**
   * Bytes of shared prompt prefixes kept across requests (default 0: none). With a budget, a
   * request with `cache` `prefix` or `dual` and an image or audio shares its prompt up to the
   * end of its last media span (template header and media rows): computed once over that prefix
   * alone, reused by the next request with the same media. The image then never sees the question:
   * on the default model the answers changed for about 75% of questions (docs/decoding.md).
   */
  readonly prefixCacheBytes?: number;
  /** What a shared prefix's keys/values are computed over (`EngineOptions.sharedPrefixContext`). */
  readonly sharedPrefixContext?: SharedPrefixContext;
}

export class Unmask {
  private readonly constraints: ConstraintCache;
  private readonly requests: RequestChecks;
  private readonly wholeAnswer: WholeAnswerCheck;

  private constructor(
    readonly bundle: Bundle,
    readonly engine: DecodingEngine,
    /** The shared prefixes kept across requests, when `prefixCacheBytes` was given. */
    readonly prefixCache: PrefixCache | undefined,
    private readonly images: ImageTower | undefined,
    private readonly sounds: AudioTower | undefined,
    private readonly limits: MediaLimits,
    requestLimits: RequestLimits,
  ) {
    this.constraints = new ConstraintCache(bundle);
    this.requests = new RequestChecks(bundle, this.accepts, requestLimits);
    const generation = bundle.manifest.generation;
    const json = generation?.json_answer && { type: 'json_schema' as const, schema: generation.json_answer.schema };
    this.wholeAnswer = new WholeAnswerCheck({
      ...(generation?.refusal !== undefined ? { refusal: generation.refusal } : {}),
      ...(json ? { jsonAnswer: () => this.constraints.get(json, 'generation.json_answer.schema') } : {}),
    });
  }

  static async load(dir: string = defaultModelDir(), options: UnmaskOptions = {}): Promise<Unmask> {
    // The shared-prefix cache keeps keys/values: the LM graph is loaded with them from the start.
    const bundle = await loadBundle(dir, {
      ...options,
      ...(options.prefixCacheBytes && !options.keyValueOutputs ? { keyValueOutputs: 'always' as const } : {}),
    });
    let images: ImageTower | undefined;
    try {
      const limits = options.limits ?? {};
      const requestLimits = parseRequestLimits(limits.request);
      images = await ImageTower.open(bundle);
      const sounds = await AudioTower.open(bundle);
      const prefixCache = options.prefixCacheBytes ? new PrefixCache(options.prefixCacheBytes) : undefined;
      const engine = new DecodingEngine(bundle.model, {
        maxBatchSize: options.maxBatchSize ?? bundle.manifest.lm.max_batch_size ?? 8,
        ...(bundle.decodingDefaults ? { defaults: bundle.decodingDefaults } : {}),
        ...(prefixCache ? { prefixCache } : {}),
        ...(options.sharedPrefixContext ? { sharedPrefixContext: options.sharedPrefixContext } : {}),
      });
      return new Unmask(bundle, engine, prefixCache, images, sounds, limits, requestLimits);
    } catch (error) {
      await images?.close();
      await bundle.close();
      throw error;
    }
  }

  /** What this model accepts: a tower for the kind, and a placeholder token to splice it at. */
  get accepts(): { images: boolean; audio: boolean } {
    const { image, audio } = this.bundle.specialTokens;
    return {
      images: this.images !== undefined && image !== undefined,
      audio: this.sounds !== undefined && audio !== undefined,
    };
  }

  async ask(request: AskRequest): Promise<AskResult> {
    return this.askStream(request).result;
  }

  /** `prepare` then `generate`, in one call. */
  askStream(request: AskRequest, options: StreamOptions = {}): AskStream {
    return this.stream(this.prepare(request), options);
  }

  /** Decodes a prepared prompt by its request's options: every step, and the result. */
  generate(prepared: PreparedPrompt, options: StreamOptions = {}): AskStream {
    return this.stream(Promise.resolve(prepared), options);
  }

  /** `checkWhole` false: a decode the whole-answer check asked for, never checked again. */
  private stream(preparing: Promise<PreparedPrompt>, options: StreamOptions, checkWhole = true): AskStream {
    const steps = preparing.then((prepared) => this.decode(prepared));
    // The whole-answer check: a first decode that fails it is decoded again (its stream follows).
    const settled = steps.then(async (decoding) => {
      const first = await finishDecoding(decoding);
      const check = checkWhole ? this.wholeAnswer.again(decoding.prepared, first) : undefined;
      return { first, again: check && this.stream(Promise.resolve(check), options, false) };
    });
    const result = settled.then(async ({ first, again }): Promise<AskResult> => {
      const prepared = await preparing;
      // A decode already one token per step is not decoded again, but may still be only the refusal's beginning.
      if (!again) return checkWhole ? { ...first, ...this.wholeAnswer.completed(prepared, first) } : first;
      const second = await again.result;
      return {
        ...second,
        ...this.wholeAnswer.completed(prepared, second),
        forwardPasses: first.forwardPasses + second.forwardPasses,
        steps: first.steps + second.steps,
        ms: first.ms + second.ms - prepared.ms,
        decodedAgain: { text: first.text },
      };
    });
    result.catch(() => {});
    const whole = (prepared: PreparedPrompt) => this.wholeAnswer.applies(prepared);
    return {
      result,
      async *[Symbol.asyncIterator]() {
        const decoding = await steps;
        // A checked answer's text is sent whole, with the result: nothing of it is taken back.
        const held = whole(decoding.prepared);
        const read = stepReader(decoding, options, held, held ? undefined : decoding.logprobs?.());
        try {
          for await (const step of decoding.run) yield read(step);
        } catch (error) {
          throw decoding.named(error);
        }
        const { first, again } = await settled;
        if (again)
          for await (const step of again)
            yield { ...step, forwardPasses: first.forwardPasses + step.forwardPasses, step: first.steps + step.step };
      },
    };
  }

  /**
   * Checks what needs no model run, so that a caller (the API, before a request takes a queue
   * slot) refuses a bad request at once: the prompt, the media the model takes, the strategy
   * against every canvas length the request could get, the response format or tools (their
   * schemas compiled to patterns), log-probabilities. Throws `UnmaskError` naming the field, by
   * the request's own names (`fields`, each medium's and function's `field`).
   */
  check(request: AskRequest): void {
    this.checkOwnMedia(this.withMedia(request));
  }

  /** `check` of a request whose media are already the conversation's chosen ones (`withMedia`). */
  private checkOwnMedia(request: AskRequest): void {
    const fields = fieldNames(request.fields);
    try {
      this.requests.check(request, fields);
    } catch (error) {
      throw inRequestTerms(error, request.fields && fields, this.requests.constraintField(request, fields));
    }
  }

  /** How a conversation becomes the prompt (manifest `generation.conversation`). */
  get conversation(): ConversationMode {
    return this.bundle.manifest.generation?.conversation ?? 'template';
  }

  /** The conversation's media that go with the prompt (conversation-media.ts). */
  private withMedia(request: AskRequest): AskRequest {
    return withConversationMedia(request, this.conversation);
  }

  async close(): Promise<void> {
    await this.images?.close();
    await this.bundle.close();
  }

  /**
   * Takes a request up to the answer canvas: the checks (`check`), each medium's header for its
   * size and the positions the prompt needs, then the media through the towers and the prompt
   * with their features spliced. Throws `UnmaskError` naming the field before any expensive work
   * it can. `generate` decodes the result.
   */
  async prepare(input: AskRequest): Promise<PreparedPrompt> {
    const request = this.withMedia(input);
    this.checkOwnMedia(request);
    const fields = fieldNames(request.fields);
    try {
      return await this.prepareChecked(request, fields);
    } catch (error) {
      throw inRequestTerms(error, request.fields && fields, this.requests.constraintField(request, fields));
    }
  }

  private async prepareChecked(request: AskRequest, fields: FieldNames): Promise<PreparedPrompt> {
    const started = performance.now();
    const images = media(request.images, 'image');
    const sounds = media(request.audio, 'audio');
    // Cheap checks first (check(): sizes and counts), then headers, then the positions; only then decoding.
    const tally = new MediaTally(this.requests.limits);
    for (const { data, field } of images) {
      throwIfAborted(request.signal);
      const { pixels, rows } = await (this.images as ImageTower).measure(data, this.limits.image, field);
      tally.addImage(pixels, rows, field);
    }
    const wavs = sounds.map(({ data, field }) => {
      throwIfAborted(request.signal);
      const { seconds, rows, wav } = (this.sounds as AudioTower).measure(data, this.limits.audio, field);
      tally.addSound(seconds, rows, field);
      return wav;
    });
    const conversation = this.conversation;
    const history = conversation === 'template' ? (request.history ?? []).map(templateMessage) : [];
    const { spec, param, plan } = this.requests.constraintSpec(request, fields);
    const messages = [...history, userMessage(request.prompt, images.length, sounds.length)];
    // A chat template that renders tools (Hugging Face's `tools` variable) shows them to the model.
    const ids = tokenizePrompt(
      this.bundle,
      messages,
      plan && conversation === 'template' ? { tools: templateTools(plan) } : {},
    );
    const template = request.template;
    // The smallest answer the request allows: its template, its fixed canvas, else one position
    // (the answer's length is chosen later, within what the context leaves).
    checkPositions(
      ids.length - images.length - sounds.length,
      tally.knownRows,
      template ? templateLength(template) : request.fixedCanvas ? this.requests.maxTokensOf(request) : 1,
      this.bundle.info.maxPositions,
      fields.prompt,
    );
    if (spec && template)
      throw new UnmaskError('invalid_parameter', 'give a template or a response format, not both', 'template');
    const constraint = spec && this.constraints.get(spec, param);
    const features: MediaFeatures[] = [];
    for (const { data, field } of images) {
      throwIfAborted(request.signal);
      features.push(await (this.images as ImageTower).encode(data, this.limits.image, field));
    }
    for (const wav of wavs) {
      throwIfAborted(request.signal);
      features.push(await (this.sounds as AudioTower).encode(wav));
    }
    throwIfAborted(request.signal);
    const built = buildPrompt(this.bundle, messages, features, ids);
    return {
      request,
      ...built,
      ...(constraint ? { constraint } : {}),
      ...(plan ? { plan } : {}),
      ms: performance.now() - started,
    };
  }

  /** From a prepared prompt to a running decode: the canvas chosen, the engine started, the answer's readers. */
  private async decode(prepared: PreparedPrompt): Promise<Decoding> {
    const { request } = prepared;
    const fields = fieldNames(request.fields);
    const named = (error: unknown) =>
      inRequestTerms(error, request.fields && fields, this.requests.constraintField(request, fields));
    try {
      return { ...(await this.decodeNamed(prepared, fields)), prepared, named };
    } catch (error) {
      throw named(error);
    }
  }

  private async decodeNamed(prepared: PreparedPrompt, fields: FieldNames) {
    const started = performance.now();
    const { request, promptIds, embeddings, mropePositions, constraint, plan } = prepared;
    const bound = this.requests.maxTokensOf(request);
    const template = request.template;
    let maxTokens = bound;
    let sizing = 0;
    let cut = true;
    if (!request.fixedCanvas && !template) {
      // A family whose upstream code decodes a fixed canvas (the bundle's decoding defaults) keeps it.
      const trained = this.bundle.manifest.generation?.answer_length ?? this.bundle.decodingDefaults?.max_tokens;
      const strategy = this.requests.strategySpec(request, fields);
      const chosen = await chooseAnswerLength(
        this.bundle.model,
        {
          promptIds,
          embeddings,
          ...(mropePositions ? { mropePositions } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        },
        {
          bound,
          ...(trained !== undefined ? { trained } : {}),
          fits: (length) => strategyFits(strategy, length),
        },
      );
      maxTokens = chosen.length;
      sizing = chosen.passes;
      cut = chosen.limitedBy === 'bound' || chosen.limitedBy === 'context';
    }
    const sharedPrefix = this.sharedPrefixOf(request.cache, embeddings, promptIds.length);
    const run = this.engine.generate({
      promptIds,
      embeddings,
      ...(mropePositions ? { mropePositions } : {}),
      ...(template ? { template } : { maxTokens }),
      strategy: request.strategy,
      ...(request.sampling ? { sampling: request.sampling } : {}),
      ...(request.cache ? { cache: request.cache } : {}),
      ...(sharedPrefix ? { sharedPrefix } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      ...(constraint ? { constraint } : {}),
      ...(request.logprobs !== undefined ? { logprobs: request.logprobs } : {}),
    });
    // A constrained answer's text is exactly its tokens' concatenation: no space clean-up.
    const cleanUp = constraint ? { cleanUpSpaces: false } : {};
    const decode = (ids: readonly number[]) =>
      this.bundle.tokenizer.decode([...ids], { skipSpecialTokens: true, ...cleanUp });
    const stop = request.stop ?? [];
    // Under tools the stop sequences apply to a text answer only (ToolAnswerText), never to a call.
    const answer = new AnswerText(run.layout, { ...this.bundle.info, decode }, plan ? [] : stop);
    const tool = plan ? new ToolAnswerText(plan, stop) : undefined;
    const logprobs =
      request.logprobs === undefined
        ? undefined
        : () =>
            new AnswerLogprobs({
              decode,
              bytesOf: (id, position) => this.constraints.tokenBytes(id, position, decode),
            });
    /** Milliseconds from preparing to now (the time between the two not counted). */
    const ms = () => prepared.ms + performance.now() - started;
    return { run, answer, tool, logprobs, decode, promptTokens: promptIds.length, sizing, cut, ms };
  }

  /** The prompt positions shared across requests: up to the end of the last media span, with a cache mode that caches. */
  private sharedPrefixOf(cache: CacheMode | undefined, embeddings: readonly SplicedEmbeddings[], promptLength: number) {
    if (!this.prefixCache || (cache !== 'prefix' && cache !== 'dual') || embeddings.length === 0) return 0;
    const end = Math.max(...embeddings.map((e) => e.offset + e.count));
    return Math.min(end, promptLength - (this.bundle.info.shiftedLogits ? 1 : 0));
  }
}

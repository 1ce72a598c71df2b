/**
 * The pipeline: a loaded bundle with its decoding engine and media towers. `ask` answers one
 * request (text, images, sounds); `askStream` also yields every denoising step with the answer's
 * new text (and, when asked, the text of each canvas cell, for live display). The answer's text
 * (stop sequences, where it ends, JSON response formats) is decided here, not by callers.
 *
 *   const unmask = await Unmask.load();            // the embedded default model
 *   const { text } = await unmask.ask({ prompt: 'what color is the circle', images: [png] });
 */
import {
  chooseAnswerLength,
  DecodingEngine,
  loadBundle,
  templateLength,
  UnmaskError,
  type Bundle,
  type CacheMode,
  type DecodeResult,
  type LoadBundleOptions,
  type ResponseTemplate,
  type SamplingInput,
  type StepEvent,
} from '@unmask/core';
import { AnswerText } from './answer/answer-text.js';
import { ConstraintCache } from './answer/constraint-cache.js';
import { constraintOf, formatParam, type ResponseFormat } from './answer/response-format.js';
import { defaultModelDir } from './default-model.js';
import { AudioTower, ImageTower, type MediaFeatures, type MediaLimits } from './media-encoders.js';
import { buildPrompt, tokenizePrompt, userMessage } from './prompt-builder.js';
import {
  checkPositions,
  checkRequestShape,
  MediaTally,
  parseRequestLimits,
  throwIfAborted,
  type RequestLimits,
} from './request-budget.js';

export interface AskRequest {
  readonly prompt: string;
  /** Encoded image files (PNG, JPEG, WebP, GIF, TIFF, AVIF). */
  readonly images?: readonly Uint8Array[];
  /** WAV files. */
  readonly audio?: readonly Uint8Array[];
  /**
   * The most answer tokens (default: the model's decoding defaults, else 32): an upper bound. The
   * canvas is the bundle's trained answer length (or, for a family whose upstream code decodes a
   * fixed canvas, its `decoding.max_tokens`) or DAEDAL's sized length within it (core's
   * answer-length.ts), unless `fixedCanvas` asks for exactly `maxTokens` positions.
   */
  readonly maxTokens?: number;
  /** Decode exactly `maxTokens` positions (benchmarks, evaluations of a fixed canvas). */
  readonly fixedCanvas?: boolean;
  /**
   * Earlier turns of a conversation (system messages, user and assistant turns, tool results),
   * text only; `prompt` and the media are the last user turn. The bundle decides how they map
   * to the prompt (manifest `generation.conversation`): a chat template renders them all; the
   * default model answers the last user turn alone.
   */
  readonly history?: readonly { readonly role: string; readonly content: string }[];
  /**
   * A strategy by name with its parameters, validated by the engine; what it leaves out comes
   * from the model's decoding defaults (the bundle's `decoding` section).
   */
  readonly strategy?: unknown;
  readonly sampling?: SamplingInput;
  readonly cache?: CacheMode;
  /** A response template (structure prior): fixed tokens and free slots. */
  readonly template?: ResponseTemplate;
  /**
   * What the answer must be (`json_object`, `json_schema`, `regex`, `choice`; `text` is free):
   * grammar-constrained decoding keeps it so at every step, whatever the prompt.
   */
  readonly responseFormat?: ResponseFormat;
  /** The answer ends before the first occurrence of any of these (OpenAI's `stop`). */
  readonly stop?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface AskResult extends DecodeResult {
  /** The answer's text, cut at the first stop sequence. */
  readonly text: string;
  /** `stop` also when a stop sequence ended the text. */
  readonly finishReason: DecodeResult['finishReason'];
  readonly promptTokens: number;
  /** Answer tokens after trimming. */
  readonly completionTokens: number;
  /** Positions of the answer canvas decoded (chosen within `maxTokens`). */
  readonly canvasLength: number;
  /** Milliseconds from the call to the result, media encoding included. */
  readonly ms: number;
}

export interface AskStep extends StepEvent {
  /**
   * The answer's new text: the committed prefix grows left to right and is sent once safe (no
   * incomplete character, nothing that may begin a stop sequence). The deltas of all steps make
   * a prefix of the result's `text`; what they have not sent yet is the rest of it.
   */
  readonly delta: string;
  /** A stop sequence was reached: the text is final and later steps carry no delta. */
  readonly stopped: boolean;
  /** Text of each canvas cell (null for masks, '' for EOS and padding), when the stream was asked for it. */
  readonly cells?: readonly (string | null)[];
}

export interface AskStream extends AsyncIterable<AskStep> {
  readonly result: Promise<AskResult>;
}

export interface StreamOptions {
  /** Decode the text of every canvas cell at every step (`AskStep.cells`). Default false. */
  readonly cells?: boolean;
}

export interface UnmaskOptions extends LoadBundleOptions {
  readonly maxBatchSize?: number;
  readonly limits?: MediaLimits;
}

export class Unmask {
  private readonly constraints: ConstraintCache;

  private constructor(
    readonly bundle: Bundle,
    readonly engine: DecodingEngine,
    private readonly images: ImageTower | undefined,
    private readonly sounds: AudioTower | undefined,
    private readonly limits: MediaLimits,
    private readonly requestLimits: RequestLimits,
  ) {
    this.constraints = new ConstraintCache(bundle);
  }

  static async load(dir: string = defaultModelDir(), options: UnmaskOptions = {}): Promise<Unmask> {
    const bundle = await loadBundle(dir, options);
    let images: ImageTower | undefined;
    try {
      const limits = options.limits ?? {};
      const requestLimits = parseRequestLimits(limits.request);
      images = await ImageTower.open(bundle);
      const sounds = await AudioTower.open(bundle);
      const engine = new DecodingEngine(bundle.model, {
        maxBatchSize: options.maxBatchSize ?? 8,
        ...(bundle.decodingDefaults ? { defaults: bundle.decodingDefaults } : {}),
      });
      return new Unmask(bundle, engine, images, sounds, limits, requestLimits);
    } catch (error) {
      await images?.close();
      await bundle.close();
      throw error;
    }
  }

  /** What this model accepts. */
  get accepts(): { images: boolean; audio: boolean } {
    return { images: this.images !== undefined, audio: this.sounds !== undefined };
  }

  async ask(request: AskRequest): Promise<AskResult> {
    return this.askStream(request).result;
  }

  askStream(request: AskRequest, options: StreamOptions = {}): AskStream {
    const started = performance.now();
    const steps = this.start(request);
    const result = steps.then(async ({ run, answer, promptTokens, sizing, cut }) => {
      const decoded = await run.result;
      // Without end-of-text the answer was cut only when the canvas reached the caller's bound
      // or the model's positions; a canvas of the model's own length ends the answer.
      const finishReason = decoded.finishReason === 'length' && !cut ? 'stop' : decoded.finishReason;
      return {
        ...decoded,
        forwardPasses: decoded.forwardPasses + sizing,
        steps: decoded.steps + sizing,
        ...answer.final(decoded.tokenIds, finishReason),
        promptTokens,
        completionTokens: decoded.tokenIds.length,
        canvasLength: run.layout.length,
        ms: performance.now() - started,
      };
    });
    result.catch(() => {});
    return {
      result,
      async *[Symbol.asyncIterator]() {
        const { run, answer } = await steps;
        for await (const step of run) {
          yield {
            ...step,
            delta: answer.advance(step.canvas),
            stopped: answer.stopped,
            ...(options.cells ? { cells: step.canvas.map((id) => answer.cell(id)) } : {}),
          };
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.images?.close();
    await this.bundle.close();
  }

  private async start(request: AskRequest) {
    if (typeof request.prompt !== 'string' || request.prompt.trim() === '') {
      throw new UnmaskError('invalid_parameter', 'prompt must be a non-empty string', 'prompt');
    }
    const images = request.images ?? [];
    const sounds = request.audio ?? [];
    if (images.length > 0 && !this.images)
      throw new UnmaskError('invalid_parameter', 'this model takes no images', 'images');
    if (sounds.length > 0 && !this.sounds)
      throw new UnmaskError('invalid_parameter', 'this model takes no audio', 'audio');
    // Cheap checks first: sizes and counts, then headers, then the positions; only then decoding.
    checkRequestShape(request.prompt, request.history ?? [], images.length, sounds.length, this.requestLimits);
    const imageName = (i: number) => (images.length > 1 ? `images[${i}]` : 'image');
    const soundName = (i: number) => (sounds.length > 1 ? `audio[${i}]` : 'audio');
    const tally = new MediaTally(this.requestLimits);
    for (const [i, bytes] of images.entries()) {
      throwIfAborted(request.signal);
      const { pixels, rows } = await (this.images as ImageTower).measure(bytes, this.limits.image, imageName(i));
      tally.addImage(pixels, rows, imageName(i));
    }
    for (const [i, bytes] of sounds.entries()) {
      throwIfAborted(request.signal);
      const { seconds, rows } = (this.sounds as AudioTower).measure(bytes, this.limits.audio, soundName(i));
      tally.addSound(seconds, rows, soundName(i));
    }
    const conversation = this.bundle.manifest.generation?.conversation ?? 'template';
    const history = conversation === 'template' ? (request.history ?? []) : [];
    const messages = [...history, userMessage(request.prompt, images.length, sounds.length)];
    const ids = tokenizePrompt(this.bundle, messages);
    const bound = request.maxTokens ?? this.bundle.decodingDefaults?.max_tokens ?? 32;
    const template = request.template;
    // The smallest answer the request allows: its template, its fixed canvas, else one position
    // (the answer's length is chosen later, within what the context leaves).
    checkPositions(
      ids.length - images.length - sounds.length,
      tally.knownRows,
      template ? templateLength(template) : request.fixedCanvas ? bound : 1,
      this.bundle.info.maxPositions,
    );
    const spec = constraintOf(request.responseFormat);
    if (spec && request.template)
      throw new UnmaskError('invalid_parameter', 'give a template or a response format, not both', 'template');
    const constraint = spec && this.constraints.get(spec, formatParam(request.responseFormat as ResponseFormat));
    const media: MediaFeatures[] = [];
    for (const [i, bytes] of images.entries()) {
      throwIfAborted(request.signal);
      media.push(await (this.images as ImageTower).encode(bytes, this.limits.image, imageName(i)));
    }
    for (const [i, bytes] of sounds.entries()) {
      throwIfAborted(request.signal);
      media.push(await (this.sounds as AudioTower).encode(bytes, this.limits.audio, soundName(i)));
    }
    throwIfAborted(request.signal);
    const { promptIds, embeddings, mropePositions } = buildPrompt(this.bundle, messages, media, ids);
    let maxTokens = bound;
    let sizing = 0;
    let cut = true;
    if (!request.fixedCanvas && !request.template) {
      // A family whose upstream code decodes a fixed canvas (the bundle's decoding defaults) keeps it.
      const trained = this.bundle.manifest.generation?.answer_length ?? this.bundle.decodingDefaults?.max_tokens;
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
        },
      );
      maxTokens = chosen.length;
      sizing = chosen.passes;
      cut = chosen.limitedBy === 'bound' || chosen.limitedBy === 'context';
    }
    const run = this.engine.generate({
      promptIds,
      embeddings,
      ...(mropePositions ? { mropePositions } : {}),
      ...(template ? { template } : { maxTokens }),
      strategy: request.strategy,
      ...(request.sampling ? { sampling: request.sampling } : {}),
      ...(request.cache ? { cache: request.cache } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      ...(constraint ? { constraint } : {}),
    });
    // A constrained answer's text is exactly its tokens' concatenation: no space clean-up.
    const cleanUp = constraint ? { cleanUpSpaces: false } : {};
    const decode = (ids: readonly number[]) =>
      this.bundle.tokenizer.decode([...ids], { skipSpecialTokens: true, ...cleanUp });
    const answer = new AnswerText(run.layout, { ...this.bundle.info, decode }, request.stop ?? []);
    return { run, answer, promptTokens: promptIds.length, sizing, cut };
  }
}

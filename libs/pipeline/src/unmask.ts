/**
 * The pipeline: a loaded bundle with its decoding engine and media towers. `ask` answers one
 * request (text, images, sounds); `askStream` also yields every denoising step with the text of
 * each canvas cell, for live display.
 *
 *   const unmask = await Unmask.load();            // the embedded default model
 *   const { text } = await unmask.ask({ prompt: 'what color is the circle', images: [png] });
 */
import {
  DecodingEngine,
  loadBundle,
  scaffoldFromJsonSchema,
  UnmaskError,
  type Bundle,
  type CacheMode,
  type DecodeResult,
  type LoadBundleOptions,
  type ResponseTemplate,
  type SamplingInput,
  type StepEvent,
} from '@unmask/core';
import { defaultModelDir } from './default-model.js';
import { AudioTower, ImageTower, type MediaFeatures, type MediaLimits } from './media-encoders.js';
import { buildPrompt, userMessage } from './prompt-builder.js';

export interface AskRequest {
  readonly prompt: string;
  /** Encoded image files (PNG, JPEG, WebP, GIF, TIFF, AVIF). */
  readonly images?: readonly Uint8Array[];
  /** WAV files. */
  readonly audio?: readonly Uint8Array[];
  /** Answer canvas length (default 32). */
  readonly maxTokens?: number;
  /** A strategy by name with its parameters; validated by the engine. */
  readonly strategy?: unknown;
  readonly sampling?: SamplingInput;
  readonly cache?: CacheMode;
  /** A response template (structure prior) … */
  readonly template?: ResponseTemplate;
  /** … or a JSON schema to scaffold one from. */
  readonly jsonSchema?: unknown;
  readonly signal?: AbortSignal;
}

export interface AskResult extends DecodeResult {
  readonly text: string;
  readonly promptTokens: number;
  /** Answer tokens after trimming. */
  readonly completionTokens: number;
  /** Milliseconds from the call to the result, media encoding included. */
  readonly ms: number;
}

export interface AskStep extends StepEvent {
  /** Text of each canvas cell; null for masks, '' for EOS and padding. */
  readonly cells: readonly (string | null)[];
}

export interface AskStream extends AsyncIterable<AskStep> {
  readonly result: Promise<AskResult>;
}

export interface UnmaskOptions extends LoadBundleOptions {
  readonly maxBatchSize?: number;
  readonly limits?: MediaLimits;
}

export class Unmask {
  private constructor(
    readonly bundle: Bundle,
    readonly engine: DecodingEngine,
    private readonly images: ImageTower | undefined,
    private readonly sounds: AudioTower | undefined,
    private readonly limits: MediaLimits,
  ) {}

  static async load(dir: string = defaultModelDir(), options: UnmaskOptions = {}): Promise<Unmask> {
    const bundle = await loadBundle(dir, options);
    try {
      const images = await ImageTower.open(bundle);
      const sounds = await AudioTower.open(bundle);
      const skip = new Set([bundle.info.eosTokenId, bundle.info.padTokenId]);
      const engine = new DecodingEngine(bundle.model, {
        maxBatchSize: options.maxBatchSize ?? 8,
        detokenize: (ids) =>
          bundle.tokenizer.decode(
            ids.filter((id) => !skip.has(id)),
            { skipSpecialTokens: true },
          ),
      });
      return new Unmask(bundle, engine, images, sounds, options.limits ?? {});
    } catch (error) {
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

  askStream(request: AskRequest): AskStream {
    const started = performance.now();
    const steps = this.start(request);
    const tokenText = (id: number) => this.tokenText(id);
    const mask = this.bundle.info.maskTokenId;
    const result = steps.then(async ({ run, promptTokens }) => {
      const decoded = await run.result;
      return {
        ...decoded,
        text: decoded.text ?? '',
        promptTokens,
        completionTokens: decoded.tokenIds.length,
        ms: performance.now() - started,
      };
    });
    result.catch(() => {});
    return {
      result,
      async *[Symbol.asyncIterator]() {
        const { run } = await steps;
        for await (const step of run) {
          yield { ...step, cells: step.canvas.map((id) => (id === mask ? null : tokenText(id))) };
        }
      },
    };
  }

  async close(): Promise<void> {
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
    const media: MediaFeatures[] = [];
    for (const [i, bytes] of images.entries())
      media.push(
        await (this.images as ImageTower).encode(
          bytes,
          this.limits.image,
          images.length > 1 ? `images[${i}]` : 'image',
        ),
      );
    for (const [i, bytes] of sounds.entries())
      media.push(
        await (this.sounds as AudioTower).encode(bytes, this.limits.audio, sounds.length > 1 ? `audio[${i}]` : 'audio'),
      );
    const { promptIds, embeddings, mropePositions } = buildPrompt(
      this.bundle,
      [userMessage(request.prompt, images.length, sounds.length)],
      media,
    );
    const template =
      request.template ??
      (request.jsonSchema !== undefined
        ? scaffoldFromJsonSchema(request.jsonSchema, { encode: (text) => this.bundle.tokenizer.encode(text) })
        : undefined);
    const run = this.engine.generate({
      promptIds,
      embeddings,
      ...(mropePositions ? { mropePositions } : {}),
      ...(template ? { template } : { maxTokens: request.maxTokens ?? 32 }),
      strategy: request.strategy,
      ...(request.sampling ? { sampling: request.sampling } : {}),
      ...(request.cache ? { cache: request.cache } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return { run, promptTokens: promptIds.length };
  }

  private tokenText(id: number): string {
    if (id === this.bundle.info.eosTokenId || id === this.bundle.info.padTokenId) return '';
    return this.bundle.tokenizer.decode([id], { skipSpecialTokens: true });
  }
}

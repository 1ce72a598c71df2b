/**
 * The bundle's optional vision and audio towers, opened from its manifest sections: images go
 * through libs/vision (decode → processor → encoder + projector), sounds through libs/audio
 * (WAV → 16 kHz → log-mel → encoder → dual adapter). Each yields feature rows in the LM's
 * embedding space, spliced later at the placeholder positions.
 */
import { UnmaskError, type Bundle } from '@unmask/core';
import type { RequestLimitsInput } from './request-budget.js';
import {
  createImageProcessor,
  decodeImage,
  PreprocessThread,
  readImageHeader,
  VisionEncoder,
  type DecodeOptions,
} from '@unmask/vision';
import {
  AudioEncoder,
  readWavHeader,
  WhisperFeatureExtractor,
  wavToInputFeatures,
  type CheckedWav,
  type WavLimitsInput,
} from '@unmask/audio';
import { AnyresImages } from './anyres-images.js';

/** Features of one image or one sound, `tokens × hidden` floats. */
export interface MediaFeatures {
  readonly kind: 'image' | 'audio';
  readonly tokens: number;
  readonly data: Float32Array;
  /** `image_grid_thw` of a Qwen2-VL style image (patches before merging), for M-RoPE positions. */
  readonly grid?: readonly [t: number, h: number, w: number];
}

export interface MediaLimits {
  readonly image?: DecodeOptions;
  readonly audio?: WavLimitsInput;
  /** Limits on a whole request (request-budget.ts), checked before anything is decoded. */
  readonly request?: RequestLimitsInput;
}

export class ImageTower {
  private constructor(
    private readonly encoder: VisionEncoder,
    private readonly expectedTokens: number | undefined,
    private readonly hidden: number,
    private readonly thread: PreprocessThread,
    /** The anyres path (LLaDA-V), when the manifest has `vision.anyres`. */
    private readonly anyres: AnyresImages | undefined,
  ) {}

  /** The preprocessing thread is running (it starts when the tower opens, with the model). */
  get preprocessing(): boolean {
    return this.thread.started;
  }

  /** Stops the preprocessing thread. */
  close(): Promise<void> {
    return this.thread.close();
  }

  static async open(bundle: Bundle): Promise<ImageTower | undefined> {
    const section = bundle.manifest.vision;
    if (!section) return undefined;
    const processor = createImageProcessor(section.processor, `${bundle.dir}/manifest.json: vision.processor`);
    const encoder = await bundle.openGraph(section.graph);
    // The projector sits in the encoder's worker, so the encoder's output never leaves it.
    const projector = section.projector
      ? await bundle.openGraph(section.projector, { worker: encoder.workerIndex })
      : undefined;
    const anyres = AnyresImages.open(bundle);
    // Resizing is TypeScript: it runs on a thread of its own, never on the event loop, started
    // now so that the first image does not wait for it.
    const thread = new PreprocessThread(section.processor, section.anyres);
    try {
      await thread.start();
    } catch (error) {
      await thread.close();
      throw error;
    }
    const vision = new VisionEncoder({
      processor,
      encoder,
      ...(projector ? { projector } : {}),
      // The decoded pixels are not needed afterwards: moved to the thread, not copied.
      preprocess: (image) => thread.preprocess(image, { transfer: true }),
    });
    // With anyres, tokens_per_image is one view's rows; an image's rows follow from its size.
    const fixed = section.tokens_per_image.kind === 'fixed' && !anyres ? section.tokens_per_image.count : undefined;
    return new ImageTower(vision, fixed, bundle.info.hiddenSize, thread, anyres);
  }

  /**
   * The image's size from its header alone, and the prompt positions it will take when the bundle
   * fixes them (a fixed count, a Qwen2-VL grid, the anyres layout; undefined otherwise: known
   * only once encoded).
   */
  async measure(
    bytes: Uint8Array,
    limits: DecodeOptions | undefined,
    name: string,
  ): Promise<{ pixels: number; rows: number | undefined }> {
    const { width, height } = await readImageHeader(bytes, limits, name);
    return { pixels: width * height, rows: this.rows(width, height) };
  }

  /** The prompt positions a `width` × `height` image takes, when its size alone tells. */
  rows(width: number, height: number): number | undefined {
    if (this.anyres) return this.anyres.rows(width, height);
    return this.expectedTokens ?? this.encoder.featureCount(width, height);
  }

  async encode(bytes: Uint8Array, limits: DecodeOptions | undefined, name: string): Promise<MediaFeatures> {
    const image = await decodeImage(bytes, limits, name);
    if (this.anyres) {
      // The views are made on the preprocessing thread too; the decoded pixels move there.
      const views = await this.thread.views(image, { transfer: true });
      return { kind: 'image', ...(await this.anyres.encode(views, this.encoder)) };
    }
    const features = await this.encoder.encode(image);
    if (features.hidden !== this.hidden) {
      throw new UnmaskError(
        'invalid_bundle',
        `the vision graph returns ${features.hidden}-wide features; the LM's hidden size is ${this.hidden}`,
        'vision.graph',
      );
    }
    if (this.expectedTokens !== undefined && features.tokens !== this.expectedTokens) {
      throw new UnmaskError(
        'invalid_bundle',
        `the vision graph returned ${features.tokens} tokens; the manifest's vision.tokens_per_image says ${this.expectedTokens}`,
        'vision.tokens_per_image',
      );
    }
    return {
      kind: 'image',
      tokens: features.tokens,
      data: features.image_embeds.data as Float32Array,
      ...(features.image_grid_thw ? { grid: features.image_grid_thw } : {}),
    };
  }
}

export class AudioTower {
  private constructor(
    private readonly extractor: WhisperFeatureExtractor,
    private readonly encoder: AudioEncoder,
    private readonly hidden: number,
  ) {}

  static async open(bundle: Bundle): Promise<AudioTower | undefined> {
    const section = bundle.manifest.audio;
    if (!section) return undefined;
    const extractor = new WhisperFeatureExtractor(section.feature_extractor);
    const audioEncoder = await bundle.openGraph(section.encoder);
    // The adapter sits in the encoder's worker, so the hidden states never leave it.
    const adapter = await bundle.openGraph(section.adapter, { worker: audioEncoder.workerIndex });
    const encoder = new AudioEncoder({ encoder: audioEncoder, adapter });
    return new AudioTower(extractor, encoder, bundle.info.hiddenSize);
  }

  /** Rows of one clip once seen, when the extractor pads every clip to the same length. */
  private fixedRows: number | undefined;

  /**
   * The clip's duration from its WAV header alone, and its feature rows when known before
   * encoding (clips padded to Whisper's window all take the rows the first one took); `wav`
   * is the checked file `encode` takes.
   */
  measure(
    bytes: Uint8Array,
    limits: WavLimitsInput | undefined,
    name: string,
  ): { seconds: number; rows: number | undefined; wav: CheckedWav } {
    const wav = readWavHeader(bytes, { ...limits, name });
    return { seconds: wav.durationSeconds, rows: this.fixedRows, wav };
  }

  /** A clip `measure` checked: decoded (its header not walked again), featurised and encoded. */
  async encode(wav: CheckedWav): Promise<MediaFeatures> {
    const features = wavToInputFeatures(wav, this.extractor);
    const embeds = await this.encoder.encode(features);
    if (this.extractor.config.padding === 'max_length' && !this.encoder.lengthDependent) this.fixedRows = embeds.tokens;
    if (embeds.hidden !== this.hidden) {
      throw new UnmaskError(
        'invalid_bundle',
        `the audio adapter returns ${embeds.hidden}-wide features; the LM's hidden size is ${this.hidden}`,
        'audio.adapter',
      );
    }
    return { kind: 'audio', tokens: embeds.tokens, data: embeds.audio_embeds };
  }
}

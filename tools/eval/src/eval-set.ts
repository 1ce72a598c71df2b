/**
 * The one builder of evaluation sets: examples drawn from the worlds spec (tools/worlds), their
 * media rendered, each sample media bytes plus the text prompt and the expected answer.
 * - `drawEvalSet`: the evaluation's, with a seed of its own, in two sets: `table` (prompts and
 *   commands worded as docs/worlds.md's tables; refusals of the kinds trained on) and `heldout`
 *   (wordings, commands and refusal prompts never trained on: tools/worlds/src/wordings). Media:
 *   images rendered by both renderers at their scene's size in PNG, JPEG or WebP (and, for the
 *   "other" share, RGBA / palette PNG, JPEG quality 70 and rescaled copies that no training image
 *   went through), speech by random espeak-ng voices with noise, silence and WAV formats.
 * - `drawSample`: the benchmark's sample (task types in turn, a share of long prompts), which
 *   eval-file.ts writes as a JSON-lines file; the quick-check sample (make-quick-sample.ts) renders
 *   its media with `renderExampleMedia` too.
 */
import sharp from 'sharp';
import { UnmaskError } from '@unmask/core';
import {
  renderRaster,
  renderSpeech,
  renderSvg,
  Rng,
  sampleExample,
  sampleSpeechVariant,
  SHAPE_QUESTION_TYPES,
  TASK_TYPES,
  toTextExample,
  type Example,
  type ImageFormat,
  type Scene,
  type SpeechVariant,
  type TaskType,
  type WavFormat,
} from '../../worlds/src/index.js';
import { DEFAULT_LONG_SHARE, isLongSlot, sampleLongExample, slowestSpeech } from './long-prompts.js';

export type World = 'shapes' | 'home' | 'both' | 'refusal';
/** Which wordings a sample's prompt (and spoken words) come from. */
export type WordingSet = 'table' | 'heldout';

export interface EvalSample {
  readonly id: number;
  readonly type: TaskType;
  readonly world: World;
  readonly set: WordingSet;
  /** Refusals: the kind of prompt refused; home tasks of the held-out set: the command's wordings. */
  readonly detail?: string;
  readonly prompt: string;
  readonly answer: string;
  readonly image?: Uint8Array;
  readonly audio?: Uint8Array;
  /** How the media were made (renderer, format, voice), for the report's breakdowns. */
  readonly media: Record<string, string | number>;
  /** Drawn as a long-prompt example (long-prompts.ts; the benchmark's sample). */
  readonly long?: boolean;
}

export interface EvalSetOptions {
  /** Samples per world (shapes questions; home commands; spoken questions; refusals). */
  readonly perWorld: number;
  /** Samples per world in held-out wordings (drawn after the others, from a stream of their own). */
  readonly heldoutPerWorld?: number;
  /** Only these task types (each still drawn as many times as its world's share gives it); all when absent. */
  readonly types?: readonly TaskType[];
  readonly rng: Rng;
  /** Share of images given a variant no training image had (RGBA/palette PNG, JPEG 70, rescaled). */
  readonly otherShare?: number;
  /**
   * How every clip reaches its file's sample rate (SpeechVariant.resampling): `nearest` makes the
   * same clips as the default, voices and noise alike, with aliasing (a paired measurement).
   */
  readonly resampling?: 'band-limited' | 'nearest';
  readonly onProgress?: (done: number, total: number) => void;
}

export function worldOf(type: TaskType): World {
  if ((SHAPE_QUESTION_TYPES as readonly string[]).includes(type)) return 'shapes';
  if (type === 'spoken_question') return 'both';
  if (type === 'refusal') return 'refusal';
  return 'home';
}

/** The task types of each world and how many samples of each make up `perWorld`. */
export function typePlan(perWorld: number): { type: TaskType; count: number }[] {
  const split = (types: readonly TaskType[]) =>
    types.map((type, i) => ({
      type,
      count: Math.floor(perWorld / types.length) + (i < perWorld % types.length ? 1 : 0),
    }));
  return [
    ...split(SHAPE_QUESTION_TYPES),
    ...split(['transcribe', 'intent', 'respond']),
    ...split(['spoken_question']),
    ...split(['refusal']),
  ];
}

async function renderImage(
  scene: Scene,
  rng: Rng,
  otherShare: number,
): Promise<{ bytes: Uint8Array; media: Record<string, string | number> }> {
  const renderer = rng.bool() ? 'svg' : 'raster';
  const other = rng.bool(otherShare);
  const format: ImageFormat = other ? 'png' : rng.pick(['png', 'jpeg', 'webp'] as const);
  const quality = rng.int(70, 95);
  const bytes =
    renderer === 'svg' ? await renderSvg(scene, { format, quality }) : await renderRaster(scene, { format, quality });
  if (!other) return { bytes, media: { renderer, format, quality } };
  const variant = rng.pick(['rgba', 'palette', 'jpeg70', 'rescaled'] as const);
  let image = sharp(bytes);
  if (variant === 'rgba') image = image.ensureAlpha().png();
  else if (variant === 'palette') image = image.png({ palette: true, colours: 64 });
  else if (variant === 'jpeg70') image = image.jpeg({ quality: 70 });
  else {
    // A second resampling (bilinear, to 80–120% of the size) before the runtime's own.
    const factor = rng.uniform(0.8, 1.2);
    const width = Math.max(64, Math.min(1024, Math.round(scene.width * factor)));
    const height = Math.max(64, Math.min(1024, Math.round(scene.height * factor)));
    image = image.resize(width, height, { fit: 'fill', kernel: 'linear' }).png();
  }
  return { bytes: new Uint8Array(await image.toBuffer()), media: { renderer, format: variant } };
}

/** How `renderExampleMedia` turns an example's scene and words into files. */
export interface MediaOptions {
  /** Share of images given a variant no training image had. */
  readonly otherShare: number;
  /**
   * `drawn` (default): a random renderer and format, `otherShare` of them a variant; `png`: the
   * raster renderer's PNG, drawing nothing (the benchmark's sample).
   */
  readonly image?: 'drawn' | 'png';
  /** How a clip's speech variant is drawn (default sampleSpeechVariant; the benchmark's long prompts speak slowest). */
  readonly speechVariant?: (rng: Rng) => SpeechVariant;
  /**
   * Caps the WAV format drawn for a clip (rate, depth, channels) before it is encoded, e.g. to keep
   * a sample shipped with the repository small; the draw itself (and so the random stream) is unchanged.
   */
  readonly capWavFormat?: (drawn: WavFormat) => WavFormat;
}

export interface ExampleMedia {
  readonly image?: Uint8Array;
  readonly audio?: Uint8Array;
  readonly media: Record<string, string | number>;
}

/** Renders an example's scene (random renderer and format) and spoken words (random voice, noise, WAV format). */
export async function renderExampleMedia(e: Example, rng: Rng, options: MediaOptions): Promise<ExampleMedia> {
  const media: Record<string, string | number> = {};
  let image: Uint8Array | undefined;
  let audio: Uint8Array | undefined;
  if (e.scene) {
    const r =
      options.image === 'png'
        ? { bytes: await renderRaster(e.scene), media: { renderer: 'raster', format: 'png' } }
        : await renderImage(e.scene, rng, options.otherShare);
    image = r.bytes;
    Object.assign(media, r.media);
  }
  if (e.spoken) {
    const drawn = (options.speechVariant ?? sampleSpeechVariant)(rng);
    const variant = options.capWavFormat ? { ...drawn, format: options.capWavFormat(drawn.format) } : drawn;
    audio = new Uint8Array(renderSpeech(e.spoken, variant, rng));
    Object.assign(media, {
      voice: variant.voice.voice,
      rate: variant.voice.rate,
      sampleRate: variant.format.sampleRate,
    });
  }
  return { media, ...(image ? { image } : {}), ...(audio ? { audio } : {}) };
}

async function toSample(
  id: number,
  e: Example,
  rng: Rng,
  options: Pick<EvalSetOptions, 'otherShare' | 'resampling'>,
  set: WordingSet,
): Promise<EvalSample> {
  const resampling = options.resampling ?? 'band-limited';
  const { image, audio, media } = await renderExampleMedia(e, rng, {
    otherShare: options.otherShare ?? 0.25,
    speechVariant: (r) => ({ ...sampleSpeechVariant(r), resampling }),
  });
  const detail = e.refusalKind ?? e.commandWording;
  return {
    id,
    type: e.type,
    world: worldOf(e.type),
    set,
    ...(detail ? { detail } : {}),
    prompt: e.prompt,
    answer: e.answer,
    media,
    ...(image ? { image } : {}),
    ...(audio ? { audio } : {}),
  };
}

export async function drawEvalSet(options: EvalSetOptions): Promise<EvalSample[]> {
  const only = (plan: { type: TaskType; count: number }[]) =>
    options.types ? plan.filter((p) => options.types?.includes(p.type)) : plan;
  const sets: { set: WordingSet; plan: { type: TaskType; count: number }[] }[] = [
    { set: 'table', plan: only(typePlan(options.perWorld)) },
  ];
  if (options.heldoutPerWorld) sets.push({ set: 'heldout', plan: only(typePlan(options.heldoutPerWorld)) });
  const total = sets.reduce((n, s) => n + s.plan.reduce((m, p) => m + p.count, 0), 0);
  const out: EvalSample[] = [];
  for (const { set, plan } of sets) {
    // The held-out set draws from a stream forked after the table set, which stays as it was.
    const rng = set === 'table' ? options.rng : options.rng.fork(1);
    const wording = set === 'table' ? 'table' : 'heldout';
    for (const { type, count } of plan) {
      for (let i = 0; i < count; i++) {
        const e = sampleExample(rng, type, { wording });
        out.push(await toSample(out.length, e, rng, options, set));
        options.onProgress?.(out.length, total);
      }
    }
  }
  return out;
}

/** How the benchmark's sample is drawn (`drawSample`). */
export interface SampleOptions {
  readonly count: number;
  readonly seed: number;
  /** Render scenes as PNG images (for a bundle with a vision tower); otherwise the scene's cells become words of the prompt. */
  readonly images: boolean;
  /** Speak the spoken words as WAV (espeak-ng, for a bundle with an audio tower); otherwise they become words of the prompt. */
  readonly audio: boolean;
  /** Share of the examples drawn as long-prompt examples (long-prompts.ts), spread evenly; default DEFAULT_LONG_SHARE. */
  readonly longShare?: number;
}

/**
 * The benchmark's sample: `count` examples from the worlds spec (task types in turn). Text form:
 * cells, then the spoken words, then the prompt, joined by spaces (the order of the training
 * tool's token sequence); with `images` / `audio` the scene is the raster renderer's PNG and the
 * words are spoken instead. Media are drawn from their own random stream, so the examples are the
 * same with or without them. `longShare` of the examples (a third by default) are long-prompt
 * examples, from streams of their own, so the other examples are the task types in turn whatever
 * the share.
 */
export async function drawSample(options: SampleOptions): Promise<EvalSample[]> {
  const rng = new Rng(options.seed);
  const mediaRng = new Rng(options.seed + 1);
  const longRng = new Rng(options.seed + 2);
  const longMediaRng = new Rng(options.seed + 3);
  const share = options.longShare ?? DEFAULT_LONG_SHARE;
  if (!(share >= 0 && share <= 1))
    throw new UnmaskError('invalid_parameter', `longShare must be between 0 and 1, got ${share}`, 'longShare');
  const out: EvalSample[] = [];
  let regular = 0;
  let long = 0;
  for (let id = 0; id < options.count; id++) {
    const isLong = isLongSlot(id, share);
    const example = isLong
      ? sampleLongExample(longRng, long++)
      : sampleExample(rng, TASK_TYPES[regular++ % TASK_TYPES.length]!);
    const text = toTextExample(example);
    // The raster renderer's PNG, speech drawn from the sample's media stream (the slowest speech for long examples).
    const rendered = await renderExampleMedia(
      {
        ...example,
        scene: options.images ? example.scene : null,
        spoken: options.audio ? example.spoken : null,
      },
      isLong ? longMediaRng : mediaRng,
      { otherShare: 0, image: 'png', ...(isLong ? { speechVariant: slowestSpeech } : {}) },
    );
    const image = text.cells && example.scene ? rendered.image : undefined;
    const audio = text.spoken ? rendered.audio : undefined;
    const words: string[] = [];
    if (text.cells && example.scene && !image) words.push(...text.cells);
    if (text.spoken && !audio) words.push(text.spoken);
    words.push(text.prompt);
    out.push({
      id,
      type: example.type,
      world: worldOf(example.type),
      set: 'table',
      prompt: words.join(' '),
      answer: text.answer,
      media: rendered.media,
      ...(image ? { image } : {}),
      ...(audio ? { audio } : {}),
      ...(isLong ? { long: true } : {}),
    });
  }
  return out;
}

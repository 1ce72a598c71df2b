/**
 * Draws the fixed quick-check sample from the worlds spec with the evaluation's own media code
 * (eval-set.ts) and writes it into the repository:
 *
 *   node --import tsx tools/eval/src/make-quick-sample.ts [--out tools/eval/quick-sample]
 *
 * - 14 images per shapes question type (7 types, `describe the image` included), one question each;
 * - 36 spoken commands, each WAV asked three times (transcribe, intent, respond);
 * - 12 spoken questions about an image (a WAV and an image each);
 * - 16 out-of-spec or missing-media prompts that must be refused;
 * - in held-out wordings (never trained on; drawn from a stream of their own, seed + 1): 3 images per
 *   shapes question type, 6 spoken commands (half in held-out command wordings) each asked the three
 *   home questions, 4 spoken questions about an image, 12 held-out prompts to refuse.
 *
 * To keep the sample small (about 4 MB), WAV formats are drawn as the evaluation draws them, then
 * capped at 16 kHz, 16-bit PCM, mono (8-bit and lower rates are kept), and images over 12 kB (lossless
 * PNGs of noisy scenes, mostly) are downscaled in their own format (`media.shrunkFrom` says from what). The seed (424242) is none of the training seeds
 * (1, 101, 102, 201, 202, 999) nor the evaluation's (90001). Regenerating rewrites the folder; the
 * bytes depend on the installed espeak-ng, sox and libvips, so commit the result rather than expect it
 * to reproduce bit for bit elsewhere.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  HELDOUT_WORDINGS,
  homePrompt,
  HOME_PROMPTS,
  intentJson,
  respondTo,
  Rng,
  sampleExample,
  sampleUtterance,
  SHAPE_QUESTION_TYPES,
  WORDINGS,
  type Example,
  type WavFormat,
} from '../../worlds/src/index.js';
import { renderExampleMedia, type ExampleMedia } from './eval-set.js';
import {
  QUICK_SAMPLE_DIR,
  QUICK_SAMPLE_MANIFEST,
  quickSampleManifestSchema,
  type QuickSampleItem,
} from './quick-sample.js';

export const QUICK_SAMPLE_SEED = 424242;
export const QUICK_SAMPLE_PLAN = {
  imagesPerShapeType: 14,
  commands: 36,
  spokenQuestions: 12,
  refusals: 16,
  heldout: { imagesPerShapeType: 3, commands: 6, spokenQuestions: 4, refusals: 12 },
} as const;
const OTHER_SHARE = 0.25;
/** Largest image file kept as rendered; bigger ones (mostly lossless PNGs of noisy scenes) are downscaled. */
export const IMAGE_BYTE_BUDGET = 12_000;

/** The eval's WAV format, capped at 16 kHz, 16-bit PCM, mono (smaller formats are kept as drawn). */
export function capWavFormat(f: WavFormat): WavFormat {
  const bits = f.encoding === 'float' || f.bits > 16 ? 16 : f.bits;
  return { sampleRate: Math.min(f.sampleRate, 16000), bits, encoding: 'pcm', channels: 1 };
}

/**
 * Downscales an image over the byte budget (Lanczos, aspect kept, no side under 64) and re-encodes
 * it in its own format and settings (PNG stays PNG, palette PNG stays palette, JPEG / WebP keep
 * their quality). The runtime resizes every image to the vision tower's 96 × 96 anyway.
 */
export async function shrinkImage(
  bytes: Uint8Array,
  media: Record<string, string | number>,
  budget = IMAGE_BYTE_BUDGET,
): Promise<{ bytes: Uint8Array; media: Record<string, string | number> }> {
  if (bytes.length <= budget) return { bytes, media };
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const ext = imageExtension(bytes);
  const quality = media.format === 'jpeg70' ? 70 : typeof media.quality === 'number' ? media.quality : 80;
  let out = bytes;
  let scale = 1;
  for (let tries = 0; tries < 8 && out.length > budget; tries++) {
    scale = Math.max(64 / Math.min(width, height), scale * Math.min(0.9, Math.sqrt(budget / out.length) * 0.95));
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    let img = sharp(bytes).resize(w, h, { fit: 'fill', kernel: 'lanczos3' });
    img =
      ext === 'jpg'
        ? img.jpeg({ quality })
        : ext === 'webp'
          ? img.webp({ quality })
          : img.png(media.format === 'palette' ? { palette: true, colours: 64 } : {});
    out = new Uint8Array(await img.toBuffer());
    if (Math.min(w, h) <= 64) break;
  }
  return { bytes: out, media: { ...media, shrunkFrom: `${width}x${height}` } };
}

function imageExtension(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpg';
  if (Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP') return 'webp';
  throw new Error('make-quick-sample: the renderer produced an image that is neither PNG, JPEG nor WebP');
}

class SampleWriter {
  readonly items: QuickSampleItem[] = [];
  private files = 0;
  constructor(private readonly dir: string) {}

  /** Writes the example's media and returns their paths relative to the sample folder. */
  write(name: string, m: ExampleMedia): { image?: string; audio?: string } {
    const out: { image?: string; audio?: string } = {};
    const n = String(this.files++).padStart(3, '0');
    if (m.image) {
      out.image = `images/${n}-${name}.${imageExtension(m.image)}`;
      writeFileSync(join(this.dir, out.image), m.image);
    }
    if (m.audio) {
      out.audio = `audio/${n}-${name}.wav`;
      writeFileSync(join(this.dir, out.audio), m.audio);
    }
    return out;
  }

  add(
    id: string,
    e: Pick<Example, 'type' | 'prompt' | 'answer'>,
    files: { image?: string; audio?: string },
    media: Record<string, string | number>,
    set: 'table' | 'heldout' = 'table',
  ): void {
    this.items.push({ id, type: e.type, set, prompt: e.prompt, answer: e.answer, ...files, media });
  }
}

export async function makeQuickSample(dir: string): Promise<QuickSampleItem[]> {
  for (const sub of ['images', 'audio', QUICK_SAMPLE_MANIFEST])
    rmSync(join(dir, sub), { recursive: true, force: true });
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'audio'), { recursive: true });
  let rng = new Rng(QUICK_SAMPLE_SEED);
  const render = async (e: Example): Promise<ExampleMedia> => {
    const m = await renderExampleMedia(e, rng, { otherShare: OTHER_SHARE, capWavFormat });
    if (!m.image) return m;
    const small = await shrinkImage(m.image, m.media);
    return { ...m, image: small.bytes, media: small.media };
  };
  const w = new SampleWriter(dir);
  const plan = QUICK_SAMPLE_PLAN;

  for (const type of SHAPE_QUESTION_TYPES) {
    for (let i = 0; i < plan.imagesPerShapeType; i++) {
      const e = sampleExample(rng, type);
      const m = await render(e);
      w.add(`${type}-${i}`, e, w.write(type, m), m.media);
    }
  }
  for (let i = 0; i < plan.commands; i++) {
    // One clip, asked the three home questions (prompts drawn as the worlds' own examples draw them).
    const u = sampleUtterance(rng);
    const asks: Pick<Example, 'type' | 'prompt' | 'answer'>[] = [
      { type: 'transcribe', prompt: rng.pick(HOME_PROMPTS.transcribe), answer: u.text },
      { type: 'intent', prompt: rng.pick(HOME_PROMPTS.intent), answer: intentJson(u.intent) },
      { type: 'respond', prompt: HOME_PROMPTS.respond[0], answer: respondTo(u.intent) },
    ];
    const m = await render({ ...asks[0]!, scene: null, spoken: u.text });
    const files = w.write('command', m);
    for (const a of asks) w.add(`command-${i}-${a.type}`, a, files, m.media);
  }
  for (let i = 0; i < plan.spokenQuestions; i++) {
    const e = sampleExample(rng, 'spoken_question');
    const m = await render(e);
    w.add(`spoken_question-${i}`, e, w.write('spoken_question', m), m.media);
  }
  for (let i = 0; i < plan.refusals; i++) {
    const e = sampleExample(rng, 'refusal');
    const m = await render(e);
    w.add(`refusal-${i}`, e, w.write('refusal', m), m.media);
  }

  // Held-out wordings, from a stream of their own (the items above stay as they were drawn).
  rng = new Rng(QUICK_SAMPLE_SEED + 1);
  const held = plan.heldout;
  for (const type of SHAPE_QUESTION_TYPES) {
    for (let i = 0; i < held.imagesPerShapeType; i++) {
      const e = sampleExample(rng, type, { wording: 'heldout' });
      const m = await render(e);
      w.add(`heldout-${type}-${i}`, e, w.write(`heldout-${type}`, m), m.media, 'heldout');
    }
  }
  for (let i = 0; i < held.commands; i++) {
    // One clip (in a held-out command wording every other time), asked each home question in a held-out wording.
    const u = sampleUtterance(rng, i % 2 === 0 ? HELDOUT_WORDINGS : WORDINGS);
    const asks: Pick<Example, 'type' | 'prompt' | 'answer'>[] = [
      { type: 'transcribe', prompt: homePrompt(rng, 'transcribe', 'heldout'), answer: u.text },
      { type: 'intent', prompt: homePrompt(rng, 'intent', 'heldout'), answer: intentJson(u.intent) },
      { type: 'respond', prompt: homePrompt(rng, 'respond', 'heldout'), answer: respondTo(u.intent) },
    ];
    const m = await render({ ...asks[0]!, scene: null, spoken: u.text });
    const files = w.write('heldout-command', m);
    for (const a of asks)
      w.add(
        `heldout-command-${i}-${a.type}`,
        a,
        files,
        { ...m.media, command: i % 2 === 0 ? 'heldout' : 'table' },
        'heldout',
      );
  }
  for (let i = 0; i < held.spokenQuestions; i++) {
    const e = sampleExample(rng, 'spoken_question', { wording: 'heldout' });
    const m = await render(e);
    w.add(`heldout-spoken_question-${i}`, e, w.write('heldout-spoken_question', m), m.media, 'heldout');
  }
  for (let i = 0; i < held.refusals; i++) {
    const e = sampleExample(rng, 'refusal', { wording: 'heldout' });
    const m = await render(e);
    w.add(
      `heldout-refusal-${i}`,
      e,
      w.write('heldout-refusal', m),
      { ...m.media, kind: e.refusalKind ?? '' },
      'heldout',
    );
  }

  const manifest = quickSampleManifestSchema.parse({
    version: 1,
    seed: QUICK_SAMPLE_SEED,
    generator: 'node --import tsx tools/eval/src/make-quick-sample.ts',
    items: w.items,
  });
  writeFileSync(join(dir, QUICK_SAMPLE_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest.items;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string', default: QUICK_SAMPLE_DIR } } });
  const dir = resolve(values.out);
  const items = await makeQuickSample(dir);
  const images = new Set(items.flatMap((i) => (i.image ? [i.image] : []))).size;
  const clips = new Set(items.flatMap((i) => (i.audio ? [i.audio] : []))).size;
  process.stdout.write(`${dir}: ${items.length} questions, ${images} images, ${clips} WAV files\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));

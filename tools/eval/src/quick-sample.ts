/**
 * The fixed quick-check sample shipped with the repository (tools/eval/quick-sample/): images and
 * WAV files drawn once from the worlds spec by make-quick-sample.ts, and a manifest listing each
 * question asked about them with its expected answer. CI answers every item with the committed
 * bundle (quick-check.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TASK_TYPES } from '../../worlds/src/index.js';
import { worldOf, type EvalSample } from './eval-set.js';

/** Where the sample lives in the repository. */
export const QUICK_SAMPLE_DIR = resolve(fileURLToPath(new URL('../quick-sample', import.meta.url)));
export const QUICK_SAMPLE_MANIFEST = 'manifest.json';

/** A media file inside the sample folder: `images/NAME` or `audio/NAME`, no other paths. */
const mediaPath = (folder: 'images' | 'audio', ext: RegExp) =>
  z
    .string()
    .regex(new RegExp(`^${folder}/[A-Za-z0-9_.-]+$`), `must be a file directly under ${folder}/`)
    .refine((p) => ext.test(p), `must end in ${ext.source}`);

export const quickSampleItemSchema = z.object({
  /** Unique within the manifest. */
  id: z.string().min(1),
  type: z.enum(TASK_TYPES),
  /** `table`: worded as docs/worlds.md's tables; `heldout`: in wordings never trained on. */
  set: z.enum(['table', 'heldout']).default('table'),
  prompt: z.string().min(1),
  /** The expected answer, compared after the spec's normalisation. */
  answer: z.string().min(1),
  image: mediaPath('images', /\.(png|jpe?g|webp)$/).optional(),
  audio: mediaPath('audio', /\.wav$/).optional(),
  /** How the media were made (renderer, format, voice, sample rate), for reading failures. */
  media: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type QuickSampleItem = z.infer<typeof quickSampleItemSchema>;

export const quickSampleManifestSchema = z
  .object({
    version: z.literal(1),
    /** The Rng seed the sample was drawn with (none of the training or evaluation seeds). */
    seed: z.number().int(),
    /** The command that regenerates the sample. */
    generator: z.string().min(1),
    items: z.array(quickSampleItemSchema).min(1),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.items.forEach((item, i) => {
      if (seen.has(item.id))
        ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `duplicate id ${item.id}` });
      seen.add(item.id);
    });
  });
export type QuickSampleManifest = z.infer<typeof quickSampleManifestSchema>;

/** Reads and validates the manifest; the error names the file and the first offending field. */
export function readQuickSampleManifest(dir: string = QUICK_SAMPLE_DIR): QuickSampleManifest {
  const path = join(dir, QUICK_SAMPLE_MANIFEST);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read the quick-sample manifest (${(e as Error).message})`);
  }
  const parsed = quickSampleManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The sample as evaluation samples (media bytes read from disk), in manifest order. */
export function loadQuickSample(dir: string = QUICK_SAMPLE_DIR): {
  manifest: QuickSampleManifest;
  samples: EvalSample[];
} {
  const manifest = readQuickSampleManifest(dir);
  const cache = new Map<string, Uint8Array>();
  const read = (rel: string, itemId: string) => {
    let bytes = cache.get(rel);
    if (!bytes) {
      try {
        bytes = new Uint8Array(readFileSync(join(dir, rel)));
      } catch (e) {
        throw new Error(
          `${join(dir, QUICK_SAMPLE_MANIFEST)}: item ${itemId} names ${rel}, which cannot be read (${(e as Error).message})`,
        );
      }
      cache.set(rel, bytes);
    }
    return bytes;
  };
  const samples = manifest.items.map(
    (item, id): EvalSample => ({
      id,
      type: item.type,
      world: worldOf(item.type),
      set: item.set,
      prompt: item.prompt,
      answer: item.answer,
      media: item.media,
      ...(item.image ? { image: read(item.image, item.id) } : {}),
      ...(item.audio ? { audio: read(item.audio, item.id) } : {}),
    }),
  );
  return { manifest, samples };
}

/**
 * The evaluation input: JSON lines of {prompt, image?, audio?, answer}. Media paths are relative
 * to the file's folder. `writeSampleEvalSet` draws a small one from tools/worlds, its media made
 * by the evaluation's own builder (tools/eval/src/eval-set.ts: `renderExampleMedia`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UnmaskError } from '@unmask/core';
import { Rng } from '../worlds/src/rng.js';
import { sampleExample, TASK_TYPES, toTextExample } from '../worlds/src/tasks.js';
import { renderExampleMedia } from '../eval/src/eval-set.js';
import { DEFAULT_LONG_SHARE, isLongSlot, sampleLongExample, slowestSpeech } from './long-prompts.js';

export const evalLineSchema = z.object({
  prompt: z.string().min(1),
  image: z.string().min(1).optional(),
  audio: z.string().min(1).optional(),
  answer: z.string(),
  /** The worlds' task type (informational). */
  type: z.string().optional(),
  /** Drawn as a long-prompt example (long-prompts.ts; informational). */
  long: z.boolean().optional(),
});
export type EvalLine = z.infer<typeof evalLineSchema>;

export interface EvalItem extends EvalLine {
  readonly imageBytes?: Uint8Array;
  readonly audioBytes?: Uint8Array;
}

/** Reads and validates an evaluation file; each error names the file and line. */
export function loadEvalSet(path: string): EvalItem[] {
  const text = readFileSync(path, 'utf8');
  const items: EvalItem[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new UnmaskError('invalid_parameter', `${path}:${i + 1}: not JSON (${(error as Error).message})`, 'eval');
    }
    const parsed = evalLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UnmaskError(
        'invalid_parameter',
        `${path}:${i + 1}: ${issue?.path.join('.') || 'line'}: ${issue?.message}`,
        'eval',
      );
    }
    const e = parsed.data;
    const read = (p: string) => new Uint8Array(readFileSync(resolve(dirname(path), p)));
    items.push({
      ...e,
      ...(e.image ? { imageBytes: read(e.image) } : {}),
      ...(e.audio ? { audioBytes: read(e.audio) } : {}),
    });
  }
  if (items.length === 0) throw new UnmaskError('invalid_parameter', `${path}: no evaluation lines`, 'eval');
  return items;
}

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
 * Draws `count` examples from the worlds spec (task types in turn) and writes `sample.jsonl`
 * (plus PNGs and WAVs when asked) into `dir`. Text form: cells, then the spoken words, then
 * the prompt, joined by spaces (the order of the training tool's token sequence). Media are
 * drawn from their own random stream, so the examples are the same with or without them.
 * `longShare` of the examples (a third by default) are long-prompt examples, from streams of
 * their own, so the other examples are the task types in turn whatever the share.
 */
export async function writeSampleEvalSet(dir: string, options: SampleOptions): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(options.seed);
  const mediaRng = new Rng(options.seed + 1);
  const longRng = new Rng(options.seed + 2);
  const longMediaRng = new Rng(options.seed + 3);
  const share = options.longShare ?? DEFAULT_LONG_SHARE;
  if (!(share >= 0 && share <= 1))
    throw new UnmaskError('invalid_parameter', `longShare must be between 0 and 1, got ${share}`, 'longShare');
  const lines: string[] = [];
  let regular = 0;
  let long = 0;
  for (let i = 0; i < options.count; i++) {
    const isLong = isLongSlot(i, share);
    const example = isLong
      ? sampleLongExample(longRng, long++)
      : sampleExample(rng, TASK_TYPES[regular++ % TASK_TYPES.length]!);
    const text = toTextExample(example);
    const line: EvalLine = { prompt: '', answer: text.answer, type: text.type, ...(isLong ? { long: true } : {}) };
    const words: string[] = [];
    // Media through the evaluation's builder: the raster renderer's PNG, speech drawn from the
    // sample's media stream (the slowest speech for long examples).
    const { image, audio } = await renderExampleMedia(
      {
        ...example,
        scene: options.images ? example.scene : null,
        spoken: options.audio ? example.spoken : null,
      },
      isLong ? longMediaRng : mediaRng,
      { otherShare: 0, image: 'png', ...(isLong ? { speechVariant: slowestSpeech } : {}) },
    );
    if (text.cells && example.scene) {
      if (image) {
        line.image = `image-${i}.png`;
        writeFileSync(join(dir, line.image), image);
      } else {
        words.push(...text.cells);
      }
    }
    if (text.spoken) {
      if (audio) {
        line.audio = `audio-${i}.wav`;
        writeFileSync(join(dir, line.audio), audio);
      } else {
        words.push(text.spoken);
      }
    }
    words.push(text.prompt);
    line.prompt = words.join(' ');
    lines.push(JSON.stringify(line));
  }
  const path = join(dir, 'sample.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/**
 * An evaluation file, the benchmark's input (tools/bench): JSON lines of {prompt, image?, audio?,
 * answer}. Media paths are relative to the file's folder. `writeSampleEvalSet` writes the sample
 * that eval-set.ts's `drawSample` draws from tools/worlds.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UnmaskError } from '@unmask/core';
import { drawSample, type SampleOptions } from './eval-set.js';

export type { SampleOptions } from './eval-set.js';

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

/** Draws the benchmark's sample (`drawSample`) and writes it into `dir` as `sample.jsonl`, plus its PNGs and WAVs. */
export async function writeSampleEvalSet(dir: string, options: SampleOptions): Promise<string> {
  const samples = await drawSample(options);
  mkdirSync(dir, { recursive: true });
  const lines = samples.map((s, i) => {
    const line: EvalLine = { prompt: s.prompt, answer: s.answer, type: s.type, ...(s.long ? { long: true } : {}) };
    if (s.image) {
      line.image = `image-${i}.png`;
      writeFileSync(join(dir, line.image), s.image);
    }
    if (s.audio) {
      line.audio = `audio-${i}.wav`;
      writeFileSync(join(dir, line.audio), s.audio);
    }
    return JSON.stringify(line);
  });
  const path = join(dir, 'sample.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

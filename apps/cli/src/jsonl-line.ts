/**
 * One line of a JSONL batch → the line `unmask ask --jsonl` prints for it. Shared by `ask --jsonl`
 * (media read from disk) and `unmask worker` (media shipped inside the job by `unmask batch`), so
 * both print the same thing for the same line, errors included.
 */
import { readFileSync } from 'node:fs';
import { isUnmaskError, UnmaskError, type CacheMode, type SamplingInput } from '@unmask/core';
import type { AskResult, Unmask } from '@unmask/pipeline';
import { jsonlRequestSchema, strategyOf } from './jsonl-request.js';

/** The invocation's flags that a line does not set itself. */
export interface LineDefaults {
  /** The strategy fields the flags name; what neither they nor a line name comes from the model's defaults. */
  readonly strategy?: Record<string, unknown> | undefined;
  readonly maxTokens?: number | undefined;
  readonly seed?: number | undefined;
  readonly temperature?: number | undefined;
  readonly topP?: number | undefined;
  readonly topK?: number | undefined;
  readonly cache?: CacheMode | undefined;
}

/** The sampling fields a line or else the flags set (none: the model's defaults). */
export function samplingOf(
  defaults: LineDefaults,
  line: { seed?: number; temperature?: number; top_p?: number; top_k?: number } = {},
): SamplingInput {
  const seed = line.seed ?? defaults.seed;
  const temperature = line.temperature ?? defaults.temperature;
  const topP = line.top_p ?? defaults.topP;
  const topK = line.top_k ?? defaults.topK;
  return {
    ...(seed !== undefined ? { seed } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { top_p: topP } : {}),
    ...(topK !== undefined ? { top_k: topK } : {}),
  };
}

/** Reads a media file named by a request; `field` names it in errors (`--image`, `image`, ...). */
export type MediaReader = (path: string, field: string) => Uint8Array;

/** Reads a media file from disk, or throws the one-line error `ask` prints for it. */
export function readMediaFile(path: string, field: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnmaskError(
      'invalid_parameter',
      `${field} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`,
      field,
    );
  }
}

export function summary(result: AskResult) {
  return {
    text: result.text,
    steps: result.forwardPasses,
    tokens: result.completionTokens,
    ms: Math.round(result.ms * 10) / 10,
  };
}

/** A parsed line, or the UnmaskError `ask` prints for it (not JSON, or a field out of its schema). */
function parseLine(raw: string, lineNumber: number) {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new UnmaskError('invalid_parameter', `line ${lineNumber}: not JSON (${(error as Error).message})`);
  }
  const parsed = jsonlRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnmaskError(
      'invalid_parameter',
      `line ${lineNumber}: ${issue?.path.join('.') || 'request'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** The media files a line names, in the order `answerLine` reads them (none when the line is invalid). */
export function mediaOfLine(raw: string): { path: string; field: 'image' | 'audio' }[] {
  let line: ReturnType<typeof parseLine>;
  try {
    line = parseLine(raw, 0);
  } catch {
    return [];
  }
  const images = line.image === undefined ? [] : Array.isArray(line.image) ? line.image : [line.image];
  return [
    ...images.map((path) => ({ path, field: 'image' as const })),
    ...(line.audio ? [{ path: line.audio, field: 'audio' as const }] : []),
  ];
}

export interface LineOutcome {
  /** What `ask --jsonl` prints for the line (without the newline). */
  readonly out: string;
  readonly failed: boolean;
}

/**
 * Answers one non-blank line. A request error (bad JSON, bad field, missing file, a strategy the
 * engine refuses) becomes `{"error": ...}`; anything else (a broken model) is thrown.
 */
export async function answerLine(
  unmask: Unmask,
  raw: string,
  lineNumber: number,
  defaults: LineDefaults,
  readMedia: MediaReader = readMediaFile,
): Promise<LineOutcome> {
  try {
    const line = parseLine(raw, lineNumber);
    const images = line.image === undefined ? [] : Array.isArray(line.image) ? line.image : [line.image];
    const cache = line.cache ?? defaults.cache;
    const strategy = strategyOf(line, { ...defaults.strategy });
    const maxTokens = line.max_tokens ?? defaults.maxTokens;
    const result = await unmask.ask({
      prompt: line.prompt,
      images: images.map((p) => readMedia(p, 'image')),
      audio: line.audio ? [readMedia(line.audio, 'audio')] : [],
      ...(strategy ? { strategy } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      sampling: samplingOf(defaults, line),
      ...(cache ? { cache } : {}),
    });
    return { out: JSON.stringify(summary(result)), failed: false };
  } catch (error) {
    if (!isUnmaskError(error)) throw error;
    return { out: JSON.stringify({ error: error.message }), failed: true };
  }
}

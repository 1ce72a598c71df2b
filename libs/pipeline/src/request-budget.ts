/**
 * The cheap checks a request gets before any expensive work: its prompt's length in characters
 * (before tokenizing), the number of its images and sounds, their pixels and seconds read from
 * their headers (before decoding), and the positions it needs (text tokens, media rows known
 * from headers, the answer canvas) against the model's. Every refusal names the limit.
 */
import { z } from 'zod';
import { UnmaskError } from '@unmask/core';

export const requestLimitsSchema = z.object({
  /**
   * Characters of the whole conversation's text (the prompt and every turn of its history),
   * checked before anything is tokenized (default 100,000).
   */
  maxPromptChars: z.number().int().positive().default(100_000),
  /** Images and sounds together (default 8). */
  maxMediaItems: z.number().int().nonnegative().default(8),
  /** Pixels of all the request's images, from their headers (default 64 Mpx). */
  maxTotalPixels: z.number().int().positive().default(64_000_000),
  /** Seconds of all the request's sounds, from their headers (default 120). */
  maxTotalSeconds: z.number().positive().default(120),
});
export type RequestLimits = z.infer<typeof requestLimitsSchema>;
export type RequestLimitsInput = z.input<typeof requestLimitsSchema>;

export function parseRequestLimits(input: RequestLimitsInput = {}): RequestLimits {
  const parsed = requestLimitsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnmaskError(
      'invalid_parameter',
      `limits.request.${issue?.path.join('.')}: ${issue?.message}`,
      'limits.request',
    );
  }
  return parsed.data;
}

/**
 * Before tokenizing: the characters of the prompt and its history together, and the count of
 * media items (the first one over the limit named).
 */
export function checkRequestShape(
  prompt: string,
  history: readonly { readonly content: string }[],
  images: readonly { readonly field: string }[],
  sounds: readonly { readonly field: string }[],
  limits: RequestLimits,
  promptField = 'prompt',
): void {
  let chars = prompt.length;
  for (const turn of history) chars += typeof turn?.content === 'string' ? turn.content.length : 0;
  if (chars > limits.maxPromptChars)
    throw new UnmaskError(
      'too_large',
      history.length > 0
        ? `${promptField}: the prompt and history have ${chars} characters, over the limit of ${limits.maxPromptChars} characters`
        : `${promptField}: the prompt has ${chars} characters, over the limit of ${limits.maxPromptChars} characters`,
      promptField,
    );
  const all = [...images, ...sounds];
  const over = all[limits.maxMediaItems];
  if (over)
    throw new UnmaskError(
      'invalid_parameter',
      `${over.field}: ${images.length} images and ${sounds.length} sounds: over the limit of ${limits.maxMediaItems} media items per request`,
      over.field,
    );
}

/** Running totals of a request's media, from their headers. */
export class MediaTally {
  pixels = 0;
  seconds = 0;
  /** Feature rows known before encoding. */
  knownRows = 0;
  constructor(private readonly limits: RequestLimits) {}

  addImage(pixels: number, rows: number | undefined, name: string): void {
    this.pixels += pixels;
    this.knownRows += rows ?? 0;
    if (this.pixels > this.limits.maxTotalPixels)
      throw new UnmaskError(
        'too_large',
        `${name}: the request's images come to ${this.pixels} pixels, over the limit of ${this.limits.maxTotalPixels} pixels per request`,
        name,
      );
  }

  addSound(seconds: number, rows: number | undefined, name: string): void {
    this.seconds += seconds;
    this.knownRows += rows ?? 0;
    if (this.seconds > this.limits.maxTotalSeconds)
      throw new UnmaskError(
        'too_large',
        `${name}: the request's sounds come to ${this.seconds.toFixed(2)} s, over the limit of ${this.limits.maxTotalSeconds} s per request`,
        name,
      );
  }
}

/**
 * Before decoding any media: the text tokens (placeholders excluded), the media rows known from
 * headers and the answer canvas must fit the model. The engine checks the exact count again.
 */
export function checkPositions(
  textTokens: number,
  mediaRows: number,
  answerLength: number,
  maxPositions: number,
  promptField = 'promptIds',
): void {
  const needed = textTokens + mediaRows + answerLength;
  if (needed > maxPositions)
    throw new UnmaskError(
      'context_length_exceeded',
      `${promptField}: the prompt (${textTokens} text tokens and ${mediaRows} media positions) plus the answer (${answerLength} positions) needs ${needed} positions, more than the model's ${maxPositions}`,
      promptField,
    );
}

/** Between media items: a cancelled request stops before the next one is read. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
    throw new UnmaskError('aborted', `the request was cancelled${reason}`, undefined, { cause: signal.reason });
  }
}

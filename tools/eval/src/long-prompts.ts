/**
 * The long-prompt share of the benchmark's default sample. Issue 7's prefix-cache target is
 * about prompts of 64 tokens or more, and most of the worlds' prompts are short (an image is a
 * handful of rows, a command a second or two of audio). The spec itself allows longer ones, and
 * these examples take them: the longest of several drawn utterances (spoken commands, or spoken
 * questions about an image), spoken at the spec's slowest rate with its most silence before and
 * after. Everything stays inside docs/worlds.md; only the draw leans to the long end.
 */
import type { Rng } from '../../worlds/src/rng.js';
import { MIN_RATE, sampleSpeechVariant, type SpeechVariant } from '../../worlds/src/home/speech.js';
import { type Example, sampleExample, type TaskType } from '../../worlds/src/tasks.js';

/** The spec's most silence before and after an utterance (world 2, audio: "0 to 0.5 s"). */
export const SPEC_MAX_SILENCE_S = 0.5;
/**
 * Task types of the long examples, in turn: three spoken questions about an image, then a spoken
 * command. Only the spoken questions reach 64 tokens with the default model's shapes (18 image
 * rows + audio at 12.5 rows per second); the longest commands, slowest and with the most silence,
 * stay near 55–60 (docs/benchmarks.md).
 */
export const LONG_TYPES: readonly TaskType[] = (['transcribe', 'intent', 'respond'] as const).flatMap(
  (command): TaskType[] => ['spoken_question', 'spoken_question', 'spoken_question', command],
);
/** Share of the default sample that is long examples, spread evenly through it. */
export const DEFAULT_LONG_SHARE = 1 / 3;
/** Utterances drawn per long example; the one with the most characters is kept. */
export const LONG_CANDIDATES = 8;

/** The `k`-th long example: the longest spoken words of several examples of its type. */
export function sampleLongExample(rng: Rng, k: number): Example {
  const type = LONG_TYPES[k % LONG_TYPES.length]!;
  let best = sampleExample(rng, type);
  for (let i = 1; i < LONG_CANDIDATES; i++) {
    const e = sampleExample(rng, type);
    if ((e.spoken?.length ?? 0) > (best.spoken?.length ?? 0)) best = e;
  }
  return best;
}

/** A random in-spec speech variant (voice, noise, WAV format) at the slowest rate and with the most silence. */
export function slowestSpeech(rng: Rng): SpeechVariant {
  const v = sampleSpeechVariant(rng);
  return {
    ...v,
    voice: { ...v.voice, rate: MIN_RATE },
    silenceBefore: SPEC_MAX_SILENCE_S,
    silenceAfter: SPEC_MAX_SILENCE_S,
  };
}

/** Whether example `i` of a sample is a long one, for `share` of the sample spread evenly (0 ≤ share ≤ 1). */
export function isLongSlot(i: number, share: number): boolean {
  return Math.floor((i + 1) * share) > Math.floor(i * share);
}

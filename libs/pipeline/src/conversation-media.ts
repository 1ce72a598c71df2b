/**
 * Which images and sounds of a conversation go with the prompt, by the bundle's conversation
 * mode (manifest `generation.conversation`): `template` takes every turn's, in order (the chat
 * template's last user message carries them all); `last_user_turn`, for a model trained on one
 * question about one image and one sound, takes the last user turn's images, or when it has none
 * those of the latest earlier turn that has some, and the same for sounds. So a question after
 * an image ("what color is the circle" with the image, then "how many shapes are there") is about
 * that image, and a new image replaces the old one instead of joining it.
 */
import type { GenerationSection } from '@unmask/core';
import type { AskRequest, HistoryMessage } from './ask-request.js';
import type { MediaInput } from './request-fields.js';

/** The manifest's `generation.conversation` (its zod schema is the source). */
export type ConversationMode = GenerationSection['conversation'];

/** A turn's media, of whatever form (bytes here; unfetched URLs and base64 in the API). */
export interface TurnMedia<I, A> {
  readonly images?: readonly I[];
  readonly audio?: readonly A[];
}

/** The media that go with the prompt: `own` is the last user turn's, `earlier` the turns before it, in order. */
export function pickConversationMedia<I, A>(
  own: TurnMedia<I, A>,
  earlier: readonly TurnMedia<I, A>[],
  mode: ConversationMode,
): { images: I[]; audio: A[] } {
  const pick = <T>(of: (t: TurnMedia<I, A>) => readonly T[] | undefined): T[] => {
    if (mode === 'template') return [...earlier.flatMap((t) => of(t) ?? []), ...(of(own) ?? [])];
    for (const turn of [own, ...[...earlier].reverse()]) {
      const media = of(turn);
      if (media && media.length > 0) return [...media];
    }
    return [];
  };
  return { images: pick((t) => t.images), audio: pick((t) => t.audio) };
}

const hasMedia = (m: HistoryMessage) => (m.images?.length ?? 0) + (m.audio?.length ?? 0) > 0;

/** The request with the media its conversation mode keeps as its own, and none left in its history. */
export function withConversationMedia(request: AskRequest, mode: ConversationMode): AskRequest {
  const history = request.history ?? [];
  if (!history.some(hasMedia)) return request;
  const { images, audio } = pickConversationMedia<MediaInput, MediaInput>(request, history, mode);
  // A turn that was only media (no text, no calls) is not a message of its own.
  const messages = history
    .filter((m) => m.content.trim() !== '' || (m.tool_calls?.length ?? 0) > 0 || !hasMedia(m))
    .map(({ images: _i, audio: _a, ...message }) => message);
  return { ...request, history: messages, images, audio };
}

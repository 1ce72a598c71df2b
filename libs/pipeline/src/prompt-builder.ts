/**
 * From a user's prompt and media to the engine's input: the chat template renders one
 * placeholder token per image or sound, the tokenizer encodes the text, and each placeholder
 * is expanded to as many positions as its features have rows, where the features are spliced.
 */
import { UnmaskError, type Bundle, type ChatMessage, type SplicedEmbeddings } from '@unmask/core';
import type { ToolPlan } from './answer/tool-calls.js';
import type { HistoryMessage } from './ask-request.js';
import type { MediaFeatures } from './media-encoders.js';
import { type GridSpan, mropePositionTable } from './mrope-positions.js';

export interface BuiltPrompt {
  readonly promptIds: number[];
  readonly embeddings: SplicedEmbeddings[];
  /** Only when the bundle's LM uses M-RoPE: the prompt's [3, prompt] positions (mrope-positions.ts). */
  readonly mropePositions?: Int32Array;
}

/** The chat message for a prompt with media: images first, then sounds, then the text. */
export function userMessage(prompt: string, images: number, sounds: number): ChatMessage {
  if (images === 0 && sounds === 0) return { role: 'user', content: prompt };
  return {
    role: 'user',
    content: [
      ...Array.from({ length: images }, () => ({ type: 'image' })),
      ...Array.from({ length: sounds }, () => ({ type: 'audio' })),
      { type: 'text', text: prompt },
    ],
  };
}

/** The rendered chat template's token ids, one placeholder per image or sound; `variables` go to the template too (e.g. `tools`). */
export function tokenizePrompt(
  bundle: Bundle,
  messages: readonly ChatMessage[],
  variables: Readonly<Record<string, unknown>> = {},
): number[] {
  return bundle.tokenizer.encode(bundle.chatTemplate.render(messages, { variables }));
}

export function buildPrompt(
  bundle: Bundle,
  messages: readonly ChatMessage[],
  media: readonly MediaFeatures[],
  /** The messages' ids, when already tokenized (`tokenizePrompt`). */
  tokenized?: readonly number[],
): BuiltPrompt {
  const ids = tokenized ?? tokenizePrompt(bundle, messages);
  const placeholderOf = { image: bundle.specialTokens.image?.id, audio: bundle.specialTokens.audio?.id };
  for (const kind of ['image', 'audio'] as const) {
    const wanted = media.filter((m) => m.kind === kind).length;
    if (wanted === 0) continue;
    // Whether the model takes this kind at all is Unmask.check's (`accepts`); here, the template's count.
    const id = placeholderOf[kind];
    const found = id === undefined ? 0 : ids.filter((t) => t === id).length;
    if (found !== wanted) {
      throw new UnmaskError(
        'invalid_bundle',
        `the chat template rendered ${found} ${kind} placeholders for ${wanted} ${kind} input(s)`,
        'chat_template',
      );
    }
  }
  // Placeholders appear in the order of the media of their kind.
  const queues = { image: media.filter((m) => m.kind === 'image'), audio: media.filter((m) => m.kind === 'audio') };
  const promptIds: number[] = [];
  const embeddings: SplicedEmbeddings[] = [];
  const grids: GridSpan[] = [];
  for (const id of ids) {
    const kind =
      id === placeholderOf.image && queues.image.length > 0
        ? 'image'
        : id === placeholderOf.audio && queues.audio.length > 0
          ? 'audio'
          : undefined;
    if (!kind) {
      promptIds.push(id);
      continue;
    }
    const features = queues[kind].shift() as MediaFeatures;
    embeddings.push({ offset: promptIds.length, count: features.tokens, data: features.data });
    if (features.grid) grids.push({ offset: promptIds.length, count: features.tokens, grid: features.grid });
    for (let i = 0; i < features.tokens; i++) promptIds.push(id);
  }
  if (bundle.manifest.lm.position_ids !== 'mrope') return { promptIds, embeddings };
  // M-RoPE: each image needs its grid; the merge size is the manifest's (grid token count).
  const perImage = bundle.manifest.vision?.tokens_per_image;
  const images = media.filter((m) => m.kind === 'image');
  if (images.length > 0 && (images.some((m) => m.grid === undefined) || perImage?.kind !== 'grid')) {
    throw new UnmaskError(
      'invalid_bundle',
      'an M-RoPE model needs each image\'s image_grid_thw and a vision.tokens_per_image of kind "grid" (its merge size)',
      'vision.tokens_per_image',
    );
  }
  return {
    promptIds,
    embeddings,
    mropePositions: mropePositionTable(promptIds.length, grids, perImage?.kind === 'grid' ? perImage.merge_size : 1),
  };
}

/** A history message as chat templates take it: calls in OpenAI's shape, their arguments parsed (Hugging Face templates print them with `tojson`). */
export function templateMessage(m: HistoryMessage): ChatMessage {
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  return {
    role: m.role,
    content: m.content,
    ...(m.tool_calls
      ? {
          tool_calls: m.tool_calls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: parse(c.arguments) },
          })),
        }
      : {}),
    ...(m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
  };
}

/** The offered functions as chat templates take them (OpenAI's tool shape, Hugging Face's convention). */
export function templateTools(plan: ToolPlan): unknown[] {
  return plan.candidates.map((f) => ({
    type: 'function',
    function: {
      name: f.name,
      ...(f.description !== undefined ? { description: f.description } : {}),
      parameters: f.parameters ?? { type: 'object', properties: {} },
    },
  }));
}

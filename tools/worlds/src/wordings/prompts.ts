/**
 * Prompts as people type them: a frame of the task (shapes.ts, home.ts) with its slots filled, then
 * decorated (decorate.ts). `wording` says which set to draw from:
 * - `table`: the prompt exactly as docs/worlds.md's tables word it (the standard evaluation);
 * - `train`: what the model is trained on: the table's wording a quarter of the time, otherwise a
 *   trained frame with trained decorations;
 * - `heldout`: never trained on: a held-out frame (with trained or held-out decorations), or a
 *   trained frame with held-out decorations (a held-out opening, media reference or closing).
 */
import { normaliseText } from '../normalise.js';
import type { Rng } from '../rng.js';
import { article, questionText, type ShapeQuestion } from '../shapes/questions.js';
import type { Color, Shape } from '../shapes/spec.js';
import { DECORATIONS, decorate, type DecorationPart, type Split } from './decorate.js';
import { HOME_FRAMES, type HomeTask } from './home.js';
import { SHAPE_FRAMES, type Frame, type FrameKey, type FrameSet } from './shapes.js';
import { fill, pickAlternatives } from './template.js';

export type WordingSplit = 'table' | 'train' | 'heldout';

/** The share of `train` prompts worded exactly as the table. */
export const TABLE_SHARE = 0.25;

export function plural(shape: Shape): string {
  return `${shape}s`;
}

/** The frame key of a question: `exists` without a colour has frames of its own. */
export function frameKey(q: ShapeQuestion): FrameKey {
  return q.type === 'exists' && q.color === null ? 'exists_shape' : q.type;
}

/** A question's slot values. */
export function questionSlots(q: ShapeQuestion): Record<string, string> {
  const slots: Record<string, string> = {};
  if ('shape' in q && q.shape) Object.assign(slots, { shape: q.shape, shapes: plural(q.shape) });
  if ('color' in q && q.color) Object.assign(slots, { color: q.color, a_color: `${article(q.color)} ${q.color}` });
  return slots;
}

interface Draw {
  frame: Frame;
  split: Split;
  decorations: Split;
}

/** Which frame set and which decorations a prompt of this wording uses. */
function draw(rng: Rng, set: FrameSet, wording: 'train' | 'heldout'): Draw {
  if (wording === 'train') return { frame: rng.pick(set.train), split: 'train', decorations: 'train' };
  if (rng.bool(0.7))
    return { frame: rng.pick(set.heldout), split: 'heldout', decorations: rng.bool(0.7) ? 'train' : 'heldout' };
  return { frame: rng.pick(set.train), split: 'train', decorations: 'heldout' };
}

function phrase(
  rng: Rng,
  set: FrameSet,
  wording: 'train' | 'heldout',
  slots: Record<string, string>,
  contexts?: readonly string[],
): string {
  const { frame, split, decorations } = draw(rng, set, wording);
  const text = fill(pickAlternatives(rng, frame.template), slots);
  // A held-out prompt from a trained frame carries at least one held-out part.
  const parts: DecorationPart[] = ['opening', 'closing'];
  if (frame.context && (contexts ?? DECORATIONS.heldout.imageContext).length > 0) parts.push('context');
  const force = wording === 'heldout' && split === 'train' && frame.kind !== 'embedded' ? rng.pick(parts) : undefined;
  return decorate(rng, text, frame.kind, {
    split: decorations,
    context: frame.context,
    ...(contexts ? { contexts } : {}),
    ...(force ? { force } : {}),
  });
}

/** The prompt of a shapes question in the given wording. */
export function shapePrompt(rng: Rng, q: ShapeQuestion, wording: WordingSplit): string {
  if (wording === 'table' || (wording === 'train' && rng.bool(TABLE_SHARE))) return questionText(q);
  return phrase(rng, SHAPE_FRAMES[frameKey(q)], wording, questionSlots(q));
}

/** The table's prompts of the home tasks and the combined task. */
export const TABLE_PROMPTS: Readonly<Record<HomeTask, readonly string[]>> = {
  transcribe: ['transcribe the audio', 'what did the speaker say'],
  intent: ['what is the intent', 'extract the intent as json'],
  respond: ['respond to the request'],
  spoken_question: ['answer the spoken question'],
};

/** The prompt of a home task (or the combined task) in the given wording. */
export function homePrompt(rng: Rng, task: HomeTask, wording: WordingSplit): string {
  if (wording === 'table' || (wording === 'train' && rng.bool(TABLE_SHARE))) return rng.pick(TABLE_PROMPTS[task]);
  return phrase(rng, HOME_FRAMES[task], wording, {}, []);
}

export type { Color, Shape };

/**
 * A shapes question as spoken in a clip: a frame of the wording's split with its alternatives
 * filled, an embedded clause after a spoken opening, in lower case without punctuation or
 * apostrophes (frames with a possessive are not spoken), `colour` said as `color`.
 */
export function spokenShapePrompt(rng: Rng, q: ShapeQuestion, wording: WordingSplit): string {
  if (wording === 'table' || (wording === 'train' && rng.bool(TABLE_SHARE))) return questionText(q);
  // Held out: a held-out frame, its opening (if any) from either set.
  const frames = SHAPE_FRAMES[frameKey(q)][wording].filter((f) => !f.template.includes("'"));
  const split: Split = wording === 'train' || rng.bool(0.5) ? 'train' : 'heldout';
  const frame = rng.pick(frames);
  const text = fill(pickAlternatives(rng, frame.template), questionSlots(q)).replace(/\bcolour\b/g, 'color');
  const opening = frame.kind === 'embedded' ? `${rng.pick(DECORATIONS[split].embedded)} ` : '';
  return normaliseText(`${opening}${text}`);
}

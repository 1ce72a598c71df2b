/**
 * Examples the model must refuse, by kind (docs/worlds.md, "The refusal"):
 * - `everyday`: a request on another topic (listed, or built from a frame: refusal.ts);
 * - `near_miss`: a worlds' question about a shape or colour the world does not have, or about an
 *   attribute it does not describe (size);
 * - `shuffled`: the words of an in-scope prompt in an order that is no wording at all (no two
 *   words next to each other as they were, and not recognised as any task);
 * - `typed_command`: a smart-home command typed instead of spoken;
 * - `wrong_medium`: an in-scope prompt whose media is missing (a shapes question without an image,
 *   a home prompt without audio, the spoken-question prompt without an image or without audio).
 * `split` chooses trained or held-out prompts (wordings, everyday prompts, unknown words), and the
 * near-miss set (refusal.ts, NEAR_MISS_SETS) which near misses training draws and how many.
 */
import type { Rng } from './rng.js';
import { sampleUtterance } from './home/utterance.js';
import { WORDINGS } from './home/spec.js';
import {
  type NearMissSet,
  otherColors,
  otherShapes,
  REFUSAL,
  sampleAttributeQuestion,
  sampleOffTopicPrompt,
} from './refusal.js';
import { sampleScene } from './shapes/scene.js';
import { allQuestions, questionText } from './shapes/questions.js';
import type { Example, TextExample } from './tasks.js';
import { decorate, type Split } from './wordings/decorate.js';
import { HELDOUT_WORDINGS, MORE_WORDINGS, type HomeTask } from './wordings/home.js';
import { homePrompt, shapePrompt } from './wordings/prompts.js';
import { recognise } from './wordings/recognise.js';
import { SHAPE_FRAMES } from './wordings/shapes.js';
import { fill, pickAlternatives } from './wordings/template.js';

export const REFUSAL_KINDS = ['everyday', 'near_miss', 'shuffled', 'typed_command', 'wrong_medium'] as const;
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

/** How often each kind is drawn, per near-miss set: `wide` moves 4 points from everyday prompts to near misses. */
export const REFUSAL_MIX: Readonly<Record<NearMissSet, Readonly<Record<RefusalKind, number>>>> = {
  base: { everyday: 0.32, near_miss: 0.22, shuffled: 0.14, typed_command: 0.04, wrong_medium: 0.28 },
  wide: { everyday: 0.28, near_miss: 0.26, shuffled: 0.14, typed_command: 0.04, wrong_medium: 0.28 },
};

/** The share of near misses that are attribute questions (the rest name a shape or colour the world lacks). */
export const ATTRIBUTE_SHARE: Readonly<Record<NearMissSet, number>> = { base: 0.2, wide: 0.45 };

const HOME_TASKS: readonly HomeTask[] = ['transcribe', 'intent', 'respond'];

function pickKind(rng: Rng, set: NearMissSet): RefusalKind {
  let r = rng.next();
  for (const kind of REFUSAL_KINDS) {
    r -= REFUSAL_MIX[set][kind];
    if (r < 0) return kind;
  }
  return 'wrong_medium';
}

/** A worlds' question frame with a shape or colour the world does not have. */
function nearMiss(rng: Rng, split: Split, set: NearMissSet): string {
  if (rng.bool(ATTRIBUTE_SHARE[set])) return sampleAttributeQuestion(rng, split, set);
  const key = rng.pick(['color_of_shape', 'where', 'exists_shape', 'exists', 'shape_of_color', 'count_color'] as const);
  const frame = rng.pick(SHAPE_FRAMES[key][split]);
  const shape = rng.pick(otherShapes(split, set));
  const color = rng.pick(otherColors(split, set));
  // exists: the unknown word is the shape, the colour, or both.
  const knownColor = rng.pick(['red', 'blue', 'green', 'orange']);
  const which = key === 'exists' ? rng.pick(['shape', 'color', 'both'] as const) : 'both';
  const c = which === 'shape' ? knownColor : color;
  const s = which === 'color' ? rng.pick(['circle', 'square', 'star']) : shape;
  const slots = { shape: s, shapes: `${s}s`, color: c, a_color: `${/^[aeiou]/.test(c) ? 'an' : 'a'} ${c}` };
  const text = fill(pickAlternatives(rng, frame.template), slots);
  return decorate(rng, text, frame.kind, { split, context: frame.context });
}

/**
 * A prompt's words shuffled into no wording: no pair of neighbours kept, not recognised as a task;
 * undefined for a prompt under 3 words or one 20 shuffles leave a wording.
 */
export function shuffleWords(rng: Rng, prompt: string): string | undefined {
  const words = prompt
    .toLowerCase()
    .replace(/[?!.,]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  if (words.length < 3) return undefined;
  const pairs = new Set(words.slice(1).map((w, i) => `${words[i]} ${w}`));
  for (let attempt = 0; attempt < 20; attempt++) {
    const out = rng.shuffle(words);
    if (out.slice(1).some((w, i) => pairs.has(`${out[i]} ${w}`))) continue;
    const text = out.join(' ');
    if (recognise(text) === undefined) return rng.bool(0.3) ? `${text}?` : text;
  }
  return undefined;
}

/** An in-scope prompt of the split, its words shuffled (shuffleWords). */
function shuffled(rng: Rng, split: Split): string {
  for (;;) {
    const useShapes = rng.bool(0.7);
    const base = useShapes
      ? shapePrompt(rng, rng.pick(allQuestions()), rng.bool(0.4) ? 'table' : split === 'train' ? 'train' : 'heldout')
      : homePrompt(rng, rng.pick([...HOME_TASKS, 'spoken_question'] as const), split === 'train' ? 'train' : 'heldout');
    const text = shuffleWords(rng, base);
    if (text !== undefined) return text;
  }
}

function typedCommand(rng: Rng, split: Split): string {
  const u = sampleUtterance(rng, split === 'train' ? (rng.bool() ? WORDINGS : MORE_WORDINGS) : HELDOUT_WORDINGS);
  return decorate(rng, u.text, 'imperative', { split, context: false });
}

/** Which media an example has. */
export interface MediaPresent {
  readonly image: boolean;
  readonly audio: boolean;
}

/**
 * An in-scope prompt whose media the example lacks: a shapes question without an image, a home
 * prompt without audio, the spoken-question prompt without one of the two. Undefined when the
 * example has both media (every task's media are then there).
 */
function wrongMediumPrompt(rng: Rng, split: Split, media: MediaPresent): string | undefined {
  const wording = rng.bool(0.3) ? 'table' : split === 'train' ? 'train' : 'heldout';
  const options: (() => string)[] = [];
  if (!media.image) options.push(() => shapePrompt(rng, rng.pick(allQuestions()), wording));
  if (!media.audio) options.push(() => homePrompt(rng, rng.pick(HOME_TASKS), wording));
  if (!(media.image && media.audio)) options.push(() => homePrompt(rng, 'spoken_question', wording));
  return options.length > 0 ? rng.pick(options)() : undefined;
}

/** A prompt the model must refuse given the example's media, and its kind (REFUSAL_MIX). */
export function sampleRefusalPrompt(
  rng: Rng,
  split: Split,
  media: MediaPresent,
  set: NearMissSet = 'base',
): { prompt: string; kind: RefusalKind } {
  let kind = pickKind(rng, set);
  if (kind === 'wrong_medium') {
    const prompt = wrongMediumPrompt(rng, split, media);
    if (prompt !== undefined) return { prompt, kind };
    kind = 'everyday';
  }
  const prompt =
    kind === 'everyday'
      ? sampleOffTopicPrompt(rng, split)
      : kind === 'near_miss'
        ? nearMiss(rng, split, set)
        : kind === 'shuffled'
          ? shuffled(rng, split)
          : typedCommand(rng, split);
  return { prompt, kind };
}

/**
 * A refusal example: an image half of the time, audio (a command, or a spoken shapes question) a
 * third of the time, and a prompt to refuse with those media (REFUSAL_MIX), from `split` and `set`.
 */
export function sampleRefusal(
  rng: Rng,
  split: Split,
  set: NearMissSet = 'base',
): { example: Example; kind: RefusalKind } {
  const scene = rng.bool(0.5) ? sampleScene(rng) : null;
  const spoken = rng.bool(1 / 3)
    ? rng.bool(0.7)
      ? sampleUtterance(rng).text
      : questionText(rng.pick(allQuestions()))
    : null;
  const { prompt, kind } = sampleRefusalPrompt(rng, split, { image: scene !== null, audio: spoken !== null }, set);
  return { example: { type: 'refusal', scene, spoken, prompt, answer: REFUSAL }, kind };
}

/**
 * A training refusal made from an in-scope example (probability `p`): its own prompt's words
 * shuffled (shuffleWords), its media kept, the refusal for answer, kind `shuffled`. The drawn
 * refusals' shuffled prompts come with an image half of the time and name any question; these
 * come with the very scene or clip their words were asked about, so the model learns that the
 * order of the words, not the words and the media, makes a question (generate-text
 * `--shuffle-own`). Refusals, prompts under 3 words and examples not drawn stay as they were.
 */
export function addShuffledRefusal(rng: Rng, e: TextExample, p: number): TextExample {
  if (e.type === 'refusal' || !rng.bool(p)) return e;
  const prompt = shuffleWords(rng, e.prompt);
  return prompt === undefined ? e : { ...e, type: 'refusal', prompt, answer: REFUSAL, refusalKind: 'shuffled' };
}

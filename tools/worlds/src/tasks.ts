import { z } from 'zod';
import type { Rng } from './rng.js';
import { type NearMissSet, SPOKEN_QUESTION_PROMPT } from './refusal.js';
import { REFUSAL_KINDS, sampleRefusal, type RefusalKind } from './refusal-examples.js';
import { sampleScene, type Scene } from './shapes/scene.js';
import { SHAPES } from './shapes/spec.js';
import {
  allQuestions,
  answerQuestion,
  questionText,
  sampleQuestion,
  SHAPE_QUESTION_TYPES,
  type ShapeQuestionType,
} from './shapes/questions.js';
import { sceneCells } from './shapes/cells.js';
import { HOME_PROMPTS, WORDINGS } from './home/spec.js';
import { allUtterances, intentJson, respondTo, sampleUtterance, type Utterance } from './home/utterance.js';
import { HELDOUT_WORDINGS, MORE_WORDINGS } from './wordings/home.js';
import { homePrompt, shapePrompt, spokenShapePrompt, type WordingSplit } from './wordings/prompts.js';

/** Every task type the default model answers, by world. */
export const TASK_TYPES = [
  ...SHAPE_QUESTION_TYPES,
  'transcribe',
  'intent',
  'respond',
  'spoken_question',
  'refusal',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/**
 * One example: optional image (a scene), optional audio (the words spoken), the text prompt and
 * the expected answer. This is what data and evaluation sets are generated from; the renderers
 * and the speech synthesiser turn `scene` and `spoken` into media.
 */
export interface Example {
  type: TaskType;
  scene: Scene | null;
  /** The words spoken in the audio, when the example has audio. */
  spoken: string | null;
  prompt: string;
  answer: string;
  /** Refusals: what kind of prompt is refused (refusal-examples.ts). */
  refusalKind?: RefusalKind;
  /** Home tasks: which wordings the spoken command comes from (the tables', `more` trained ones, held-out ones). */
  commandWording?: 'table' | 'more' | 'heldout';
}

/** The example in the text form the language model is trained on (the scene as nine cell tokens). */
export const textExampleSchema = z.object({
  type: z.enum(TASK_TYPES),
  cells: z.array(z.string()).length(9).nullable(),
  spoken: z.string().nullable(),
  prompt: z.string(),
  answer: z.string(),
  /** A refusal's kind (refusal-examples.ts), so evaluations can report refusals kind by kind. */
  refusalKind: z.enum(REFUSAL_KINDS).optional(),
});
export type TextExample = z.infer<typeof textExampleSchema>;

export function toTextExample(e: Example): TextExample {
  return {
    type: e.type,
    cells: e.scene ? sceneCells(e.scene) : null,
    spoken: e.spoken,
    prompt: e.prompt,
    answer: e.answer,
    ...(e.refusalKind ? { refusalKind: e.refusalKind } : {}),
  };
}

let inScopeCache: string[] | undefined;
/** Every in-scope text prompt as the tables word it (normalised). */
export function inScopePrompts(): string[] {
  inScopeCache ??= [
    ...allQuestions().map(questionText),
    ...HOME_PROMPTS.transcribe,
    ...HOME_PROMPTS.intent,
    ...HOME_PROMPTS.respond,
    SPOKEN_QUESTION_PROMPT,
  ];
  return inScopeCache;
}

/** How an example's prompt and spoken words are worded (wordings/prompts.ts). */
export interface SampleOptions {
  readonly wording?: WordingSplit;
  /** The scene of a shapes question (drawn otherwise). */
  readonly scene?: Scene;
  /** Which near misses a training refusal draws (refusal.ts; default `base`). */
  readonly nearMisses?: NearMissSet;
}

function shapeExample(rng: Rng, type: ShapeQuestionType, scene: Scene, wording: WordingSplit): Example {
  let q = sampleQuestion(rng, scene, type);
  if (type === 'exists' && wording !== 'table' && rng.bool(0.25)) {
    // `is there a {shape}`: the shape present half of the time.
    const present = scene.objects.map((o) => o.shape);
    const absent = SHAPES.filter((s) => !present.includes(s));
    q = { type, color: null, shape: absent.length > 0 && rng.bool() ? rng.pick(absent) : rng.pick(present) };
  }
  return { type, scene, spoken: null, prompt: shapePrompt(rng, q, wording), answer: answerQuestion(scene, q) };
}

function homeExample(
  rng: Rng,
  type: 'transcribe' | 'intent' | 'respond',
  u: Utterance,
  wording: WordingSplit,
): Example {
  // The table's wording draws as it always did (the standard evaluation's samples stay the same).
  const prompt =
    wording !== 'table'
      ? homePrompt(rng, type, wording)
      : type === 'transcribe'
        ? rng.pick(HOME_PROMPTS.transcribe)
        : type === 'intent'
          ? rng.pick(HOME_PROMPTS.intent)
          : HOME_PROMPTS.respond[0];
  const answer = type === 'transcribe' ? u.text : type === 'intent' ? intentJson(u.intent) : respondTo(u.intent);
  return { type, scene: null, spoken: u.text, prompt, answer };
}

/** A spoken shapes question about the scene and its answer. */
function spokenQuestion(rng: Rng, scene: Scene, wording: WordingSplit): { spoken: string; answer: string } {
  const q = sampleQuestion(rng, scene, rng.pick(SHAPE_QUESTION_TYPES));
  return { spoken: spokenShapePrompt(rng, q, wording), answer: answerQuestion(scene, q) };
}

/** A smart-home utterance: the table's wordings, or (train) also the further wordings, or (heldout) the held-out ones half of the time. */
function sampleUtteranceIn(rng: Rng, wording: WordingSplit): { u: Utterance; from: 'table' | 'more' | 'heldout' } {
  if (wording === 'table') return { u: sampleUtterance(rng), from: 'table' };
  const other = rng.bool(0.5);
  if (wording === 'train')
    return { u: sampleUtterance(rng, other ? MORE_WORDINGS : WORDINGS), from: other ? 'more' : 'table' };
  return { u: sampleUtterance(rng, other ? HELDOUT_WORDINGS : WORDINGS), from: other ? 'heldout' : 'table' };
}

/** A random example of the given type; `wording` (default `table`) as in wordings/prompts.ts. */
export function sampleExample(rng: Rng, type: TaskType, options: SampleOptions = {}): Example {
  const wording = options.wording ?? 'table';
  switch (type) {
    case 'transcribe':
    case 'intent':
    case 'respond': {
      const { u, from } = sampleUtteranceIn(rng, wording);
      return { ...homeExample(rng, type, u, wording), ...(wording === 'table' ? {} : { commandWording: from }) };
    }
    case 'spoken_question': {
      const scene = sampleScene(rng);
      const { spoken, answer } = spokenQuestion(rng, scene, wording);
      const prompt = wording === 'table' ? SPOKEN_QUESTION_PROMPT : homePrompt(rng, 'spoken_question', wording);
      return { type, scene, spoken, prompt, answer };
    }
    case 'refusal': {
      const { example, kind } = sampleRefusal(rng, wording === 'heldout' ? 'heldout' : 'train', options.nearMisses);
      return { ...example, refusalKind: kind };
    }
    default:
      return shapeExample(rng, type, options.scene ?? sampleScene(rng), wording);
  }
}

/** The number of distinct in-scope utterances (for coverage checks). */
export function utteranceCount(): number {
  return allUtterances().length;
}

import { z } from 'zod';
import type { Rng } from './rng.js';
import { REFUSAL, SPOKEN_QUESTION_PROMPT, sampleOffTopicPrompt } from './refusal.js';
import { sampleScene, type Scene } from './shapes/scene.js';
import {
  allQuestions,
  answerQuestion,
  questionText,
  sampleQuestion,
  SHAPE_QUESTION_TYPES,
  type ShapeQuestionType,
} from './shapes/questions.js';
import { sceneCells } from './shapes/cells.js';
import { HOME_PROMPTS } from './home/spec.js';
import { allUtterances, intentJson, respondTo, sampleUtterance, type Utterance } from './home/utterance.js';

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
}

/** The example in the text form the language model is trained on (the scene as nine cell tokens). */
export const textExampleSchema = z.object({
  type: z.enum(TASK_TYPES),
  cells: z.array(z.string()).length(9).nullable(),
  spoken: z.string().nullable(),
  prompt: z.string(),
  answer: z.string(),
});
export type TextExample = z.infer<typeof textExampleSchema>;

export function toTextExample(e: Example): TextExample {
  return {
    type: e.type,
    cells: e.scene ? sceneCells(e.scene) : null,
    spoken: e.spoken,
    prompt: e.prompt,
    answer: e.answer,
  };
}

let inScopeCache: string[] | undefined;
/** Every in-scope text prompt (normalised). */
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

function shapeExample(rng: Rng, type: ShapeQuestionType, scene: Scene): Example {
  const q = sampleQuestion(rng, scene, type);
  return { type, scene, spoken: null, prompt: questionText(q), answer: answerQuestion(scene, q) };
}

function homeExample(rng: Rng, type: 'transcribe' | 'intent' | 'respond', u: Utterance): Example {
  const prompt =
    type === 'transcribe'
      ? rng.pick(HOME_PROMPTS.transcribe)
      : type === 'intent'
        ? rng.pick(HOME_PROMPTS.intent)
        : HOME_PROMPTS.respond[0];
  const answer = type === 'transcribe' ? u.text : type === 'intent' ? intentJson(u.intent) : respondTo(u.intent);
  return { type, scene: null, spoken: u.text, prompt, answer };
}

/**
 * A refusal example: an out-of-spec prompt with any media, or an in-scope prompt whose media is
 * missing (a shapes question without an image, a home prompt without audio).
 */
function refusalExample(rng: Rng): Example {
  const r = rng.next();
  const scene = rng.bool(0.5) ? sampleScene(rng) : null;
  if (r < 0.6) {
    const spoken = rng.bool(0.2) ? sampleUtterance(rng).text : null;
    return { type: 'refusal', scene, spoken, prompt: sampleOffTopicPrompt(rng, inScopePrompts()), answer: REFUSAL };
  }
  if (r < 0.75) {
    // A shapes question with no image.
    const q = rng.pick(allQuestions());
    return {
      type: 'refusal',
      scene: null,
      spoken: rng.bool(0.3) ? sampleUtterance(rng).text : null,
      prompt: questionText(q),
      answer: REFUSAL,
    };
  }
  if (r < 0.9) {
    // A home prompt with no audio.
    const prompt = rng.pick([...HOME_PROMPTS.transcribe, ...HOME_PROMPTS.intent, ...HOME_PROMPTS.respond]);
    return { type: 'refusal', scene, spoken: null, prompt, answer: REFUSAL };
  }
  // The spoken-question prompt without an image or without audio.
  return rng.bool()
    ? {
        type: 'refusal',
        scene: null,
        spoken: questionText(rng.pick(allQuestions())),
        prompt: SPOKEN_QUESTION_PROMPT,
        answer: REFUSAL,
      }
    : { type: 'refusal', scene: sampleScene(rng), spoken: null, prompt: SPOKEN_QUESTION_PROMPT, answer: REFUSAL };
}

/** A random example of the given type. */
export function sampleExample(rng: Rng, type: TaskType): Example {
  switch (type) {
    case 'transcribe':
    case 'intent':
    case 'respond':
      return homeExample(rng, type, sampleUtterance(rng));
    case 'spoken_question': {
      const scene = sampleScene(rng);
      const inner = shapeExample(rng, rng.pick(SHAPE_QUESTION_TYPES), scene);
      return { type, scene, spoken: inner.prompt, prompt: SPOKEN_QUESTION_PROMPT, answer: inner.answer };
    }
    case 'refusal':
      return refusalExample(rng);
    default:
      return shapeExample(rng, type, sampleScene(rng));
  }
}

/** The number of distinct in-scope utterances (for coverage checks). */
export function utteranceCount(): number {
  return allUtterances().length;
}

import type { Rng } from './rng.js';
import { COLORS, SHAPES } from './shapes/spec.js';

/** The fixed answer to any prompt outside the two worlds. */
export const REFUSAL = 'i can only answer questions about shapes in images and smart home voice commands';

/** The prompt of the combined task (an image plus a spoken world-1 question). */
export const SPOKEN_QUESTION_PROMPT = 'answer the spoken question';

/** Everyday prompts outside the worlds, used to teach and test the refusal. */
export const OFF_TOPIC_PROMPTS: readonly string[] = [
  'hello',
  'hi there',
  'how are you',
  'what is your name',
  'tell me a joke',
  'what is the weather today',
  'write a poem about the sea',
  'what time is it',
  'who are you',
  'translate this to german',
  'what is two plus two',
  'summarise this article',
  'explain quantum physics',
  'what is the capital of france',
  'can you help me',
  'good morning',
  'thank you',
  'what can you do',
  'play a game with me',
  'open the door',
  'what is in the picture',
  'is the circle big',
  'how big is the square',
  'what is the biggest shape',
  'what color is the background',
  'count the colors',
  'what language is this',
  'who is speaking',
  'is the speaker a man or a woman',
  'how long is the audio',
];

const OTHER_SHAPES = ['hexagon', 'rectangle', 'oval', 'heart', 'cross', 'pentagon'] as const;
const OTHER_COLORS = ['pink', 'brown', 'white', 'grey', 'cyan', 'gold'] as const;

/**
 * An out-of-spec prompt: an everyday request, or a near miss of a spec question (a shape or
 * colour the world does not have, an unknown verb, a shuffled question).
 */
export function sampleOffTopicPrompt(rng: Rng, inScope: readonly string[]): string {
  const r = rng.next();
  if (r < 0.4) return rng.pick(OFF_TOPIC_PROMPTS);
  if (r < 0.55) return `what color is the ${rng.pick(OTHER_SHAPES)}`;
  if (r < 0.65) return `what shape is the ${rng.pick(OTHER_COLORS)} object`;
  if (r < 0.75) return `is there a ${rng.pick([...COLORS, ...OTHER_COLORS])} ${rng.pick(OTHER_SHAPES)}`;
  if (r < 0.8) return `how many ${rng.pick(OTHER_COLORS)} shapes are there`;
  if (r < 0.85) return `where is the ${rng.pick(OTHER_SHAPES)}`;
  if (r < 0.9) return `what size is the ${rng.pick(SHAPES)}`;
  for (;;) {
    const words = rng.shuffle(rng.pick(inScope).split(' '));
    const prompt = words.join(' ');
    if (!inScope.includes(prompt)) return prompt;
  }
}

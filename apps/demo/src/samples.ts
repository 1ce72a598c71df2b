/** The sample media shipped with the demo (public/samples, made by scripts/make-samples.ts). */
import type { DemoSamples } from '@unmask/protocol';

/** The sample list's shape is @unmask/protocol's `demoSamplesSchema` (samples.test.ts holds the file to it). */
export type Samples = DemoSamples;

export const SAMPLES_URL = 'samples/samples.json';

export async function loadSamples(): Promise<Samples> {
  const response = await fetch(SAMPLES_URL);
  if (!response.ok) throw new Error(`Could not load the sample list (HTTP ${response.status})`);
  return (await response.json()) as Samples;
}

/** Questions to suggest when the image is the user's own. */
export const GENERIC_QUESTIONS = [
  'describe the image',
  'how many shapes are there',
  'what color is the circle',
  'where is the square',
  'what shape is the red object',
  'is there a blue star',
];

/** The prompts of a spoken command: transcript, intent and response. */
export const COMMAND_JOBS = [
  { label: 'Transcript', prompt: 'transcribe the audio' },
  { label: 'Intent', prompt: 'extract the intent as json' },
  { label: 'Response', prompt: 'respond to the request' },
] as const;

export const SPOKEN_QUESTION_PROMPT = 'answer the spoken question';

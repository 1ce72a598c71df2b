/** The sample media shipped with the demo (public/samples, made by scripts/make-samples.ts). */

export interface ImageSample {
  file: string;
  /** The scene described in words (the image's alt text). */
  alt: string;
  /** Suggested questions and their answers. */
  answers: Record<string, string>;
}

export interface AudioSample {
  file: string;
  transcript: string;
  answers: Record<string, string>;
}

export interface Samples {
  images: ImageSample[];
  audio: AudioSample[];
  /** The image the spoken question clip asks about. */
  questionImage: string;
}

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

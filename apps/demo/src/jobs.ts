/** What one click of Run asks, per mode: the prompts to send, or why nothing can be sent yet. */
import { COMMAND_JOBS, SPOKEN_QUESTION_PROMPT } from './samples.js';

export type Mode = 'image' | 'command' | 'both';

export interface Job {
  label: string;
  prompt: string;
}

export interface RunInputs {
  hasImage: boolean;
  hasAudio: boolean;
  /** The typed question (image mode only). */
  question: string;
}

/** The jobs of a run in `mode`, or the message telling the user what is missing. */
export function jobsFor(mode: Mode, inputs: RunInputs): Job[] | string {
  if ((mode === 'image' || mode === 'both') && !inputs.hasImage)
    return 'Choose an image first: drop one, pick a file, or click a sample.';
  if ((mode === 'command' || mode === 'both') && !inputs.hasAudio)
    return 'Choose a WAV first: upload one, record from the microphone, or click a sample clip.';
  if (mode === 'image') {
    const prompt = inputs.question.trim();
    if (!prompt) return 'Type a question, or click a suggested one.';
    return [{ label: 'Answer', prompt }];
  }
  if (mode === 'command') return COMMAND_JOBS.map((j) => ({ ...j }));
  return [{ label: 'Answer', prompt: SPOKEN_QUESTION_PROMPT }];
}

/** The demo's sample media and the worlds' answers to them (apps/demo/public/samples), as the tests ask the default model. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoSamplesSchema, type DemoAudioSample, type DemoImageSample, type DemoIntent } from '@unmask/protocol';

export const SAMPLES_DIR = fileURLToPath(new URL('../../../demo/public/samples/', import.meta.url));

export const samples = demoSamplesSchema.parse(JSON.parse(readFileSync(`${SAMPLES_DIR}samples.json`, 'utf8')));

/** The commands' intent as a client writes it for structured outputs and tools (JSON Schema). */
export const INTENT_JSON_SCHEMA = {
  type: 'object',
  properties: { action: { type: 'string' }, object: { type: 'string' }, location: { type: 'string' } },
  required: ['action', 'object', 'location'],
  additionalProperties: false,
} as const;

export type DemoCommand = DemoAudioSample & { intent: DemoIntent; response: string };

/** The clips that speak a command: those with an intent (and its response). */
export const commands: readonly DemoCommand[] = samples.audio.filter(
  (clip): clip is DemoCommand => clip.intent !== undefined && clip.response !== undefined,
);

/** The i-th sample image; throws if the sample list has fewer. */
export function sampleImage(i: number): DemoImageSample {
  const image = samples.images[i];
  if (image === undefined) throw new Error(`the demo has ${samples.images.length} sample images, not ${i + 1}`);
  return image;
}

/** The i-th spoken command; throws if the sample list has fewer. */
export function command(i: number): DemoCommand {
  const clip = commands[i];
  if (clip === undefined) throw new Error(`the demo has ${commands.length} spoken commands, not ${i + 1}`);
  return clip;
}

/** A sample file's bytes as base64. */
export const sampleBase64 = (file: string): string => readFileSync(`${SAMPLES_DIR}${file}`).toString('base64');

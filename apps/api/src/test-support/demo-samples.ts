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

/** The i-th of `list`; throws, naming `what`, if the sample list has fewer. */
function nth<T>(list: readonly T[], i: number, what: string): T {
  const item = list[i];
  if (item === undefined) throw new Error(`the demo has ${list.length} ${what}, not ${i + 1}`);
  return item;
}

/** The i-th sample image. */
export const sampleImage = (i: number): DemoImageSample => nth(samples.images, i, 'sample images');

/** The sample image named `file`; throws if the demo has none of that name. */
export function sampleImageNamed(file: string): DemoImageSample {
  const image = samples.images.find((i) => i.file === file);
  if (image === undefined) throw new Error(`the demo has no sample image ${file}`);
  return image;
}

/** The i-th spoken command. */
export const command = (i: number): DemoCommand => nth(commands, i, 'spoken commands');

/** A sample file's bytes as base64. */
export const sampleBase64 = (file: string): string => readFileSync(`${SAMPLES_DIR}${file}`).toString('base64');

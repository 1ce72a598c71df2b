/**
 * The demo's sample list, `samples/samples.json`: served beside the demo page, written by
 * apps/demo/scripts/make-samples.ts, and read by the demo and by the tests that ask the default
 * model about the same media. Each sample names its file and the worlds' answers to the questions
 * the demo suggests for it.
 */
import { z } from 'zod';

/** Suggested question (or prompt) → the worlds' answer to it. */
const answersSchema = z.record(z.string().min(1), z.string());

export const demoImageSampleSchema = z.strictObject({
  file: z.string().min(1),
  /** The scene described in words (the image's alt text). */
  alt: z.string().min(1),
  answers: answersSchema,
});

/** A spoken command's intent, as the smart-home world writes it. */
export const demoIntentSchema = z.strictObject({ action: z.string(), object: z.string(), location: z.string() });

export const demoAudioSampleSchema = z.strictObject({
  file: z.string().min(1),
  /** What the clip says. */
  transcript: z.string().min(1),
  /** A command's intent and the world's response to it; absent for a spoken question. */
  intent: demoIntentSchema.optional(),
  response: z.string().optional(),
  answers: answersSchema,
});

export const demoSamplesSchema = z.strictObject({
  images: z.array(demoImageSampleSchema).min(1),
  audio: z.array(demoAudioSampleSchema).min(1),
  /** The image the spoken question clip asks about. */
  questionImage: z.string().min(1),
});

export type DemoImageSample = z.infer<typeof demoImageSampleSchema>;
export type DemoAudioSample = z.infer<typeof demoAudioSampleSchema>;
export type DemoIntent = z.infer<typeof demoIntentSchema>;
export type DemoSamples = z.infer<typeof demoSamplesSchema>;

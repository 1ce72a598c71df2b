/**
 * Sampling options of a request: temperature (0 = argmax), top-p then top-k filtering, and the
 * seed of the request's random stream (decoding/sampling.ts applies them). No defaults here: what
 * a request leaves out comes from the model's decoding defaults, else temperature 0.
 */
import { z } from 'zod';

export const samplingOptionsSchema = z
  .object({
    temperature: z.number().min(0).max(100).optional(),
    /** 0 turns top-k off (as in transformers), e.g. over a model's default. */
    top_k: z.number().int().min(0).optional(),
    /** 1 turns top-p off. */
    top_p: z.number().gt(0).max(1).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
  })
  .strict();
export type SamplingOptions = z.infer<typeof samplingOptionsSchema>;
export type SamplingInput = z.input<typeof samplingOptionsSchema>;

/**
 * Sampling options of a request: temperature (0 = argmax), top-k and top-p filtering, and the
 * seed of the request's random stream (decoding/sampling.ts applies them).
 */
import { z } from 'zod';

export const samplingOptionsSchema = z
  .object({
    temperature: z.number().min(0).max(100).default(0),
    top_k: z.number().int().min(1).optional(),
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

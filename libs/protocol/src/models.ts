/** `GET /v1/models`, with what each model accepts. */
import { z } from 'zod';

export const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  modalities: z.array(z.enum(['text', 'image', 'audio'])).describe('unmask: inputs the model accepts'),
  max_positions: z.number().int().describe('unmask: prompt plus answer positions'),
});
export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelSchema) });
export type Model = z.infer<typeof modelSchema>;
export type ModelList = z.infer<typeof modelListSchema>;

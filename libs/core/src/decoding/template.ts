/**
 * Structure priors: the caller fixes part of the answer. A response template is a sequence of
 * fixed token runs and masked slots (each slot with a budget of mask positions). Fixed tokens
 * are never decoded; each slot is its own region for end-of-text prediction, so an EOS inside
 * a slot ends that slot only. Unused slot positions (EOS or padding) are trimmed from the result.
 */
import { z } from 'zod';

export const templatePartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), ids: z.array(z.number().int().nonnegative()) }).strict(),
  z.object({ type: z.literal('slot'), length: z.number().int().min(1), name: z.string().optional() }).strict(),
]);
export const responseTemplateSchema = z.object({ parts: z.array(templatePartSchema) }).strict();
export type TemplatePart = z.infer<typeof templatePartSchema>;
export type ResponseTemplate = z.infer<typeof responseTemplateSchema>;

/** A plain answer: one slot of `length` masks. */
export function plainTemplate(length: number): ResponseTemplate {
  return { parts: [{ type: 'slot', length }] };
}

export function templateLength(template: ResponseTemplate): number {
  return template.parts.reduce((n, p) => n + (p.type === 'text' ? p.ids.length : p.length), 0);
}

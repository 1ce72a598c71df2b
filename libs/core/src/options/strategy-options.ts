/**
 * Decoding strategies, selectable by name with validated parameters. This zod schema is the one
 * source of the accepted shape (the CLI, the HTTP API and its protocol validate through it);
 * decoding/strategy.ts resolves a parsed spec into a commit rule.
 *
 * | name | rule |
 * | --- | --- |
 * | `low_confidence` | LLaDA fixed steps: `steps` over the answer, `block_length`, `remasking` |
 * | `confident` | Dimple: every mask with confidence > `threshold` commits; schedule fallback |
 * | `threshold` | Fast-dLLM: top-1 plus every mask with confidence ≥ `threshold` |
 * | `factor` | Fast-dLLM factor rule with `factor` f |
 * | `ascending` | 2^i tokens at step i of each block |
 * | `prophet` | LLaDA fixed steps with Prophet's early commit switched on |
 *
 * Every strategy also takes `block_length` (semi-autoregressive blocks; default: the whole
 * answer), `confidence` (`probability` | `margin` | `neg_entropy`), `eos_gamma` (EOS early
 * rejection; 1 = off), `eos_fill` (end-of-text prediction; default on) and `early_commit`
 * (Prophet's rule; `true` for its defaults or an object with `thresholds` and `boundaries`).
 */
import { z } from 'zod';

/** How sure the model is about a masked position (decoding/confidence.ts computes each). */
export const CONFIDENCE_KINDS = ['probability', 'margin', 'neg_entropy'] as const;
export type ConfidenceKind = (typeof CONFIDENCE_KINDS)[number];

/**
 * Prophet's early commit (decoding/early-commit.ts): `thresholds[k]` applies while progress <
 * `boundaries[k]`, the last one after the last boundary.
 */
export const earlyCommitSchema = z
  .object({
    thresholds: z.array(z.number().positive()).min(1).default([7.5, 5, 2.5]),
    boundaries: z.array(z.number().gt(0).lt(1)).default([0.33, 0.67]),
  })
  .strict()
  .refine((v) => v.boundaries.length === v.thresholds.length - 1, {
    message: 'needs one boundary fewer than thresholds',
    path: ['boundaries'],
  })
  .refine((v) => v.boundaries.every((b, i) => i === 0 || b > (v.boundaries[i - 1] as number)), {
    message: 'must be increasing',
    path: ['boundaries'],
  });
export type EarlyCommitOptions = z.infer<typeof earlyCommitSchema>;

const tau = z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]');
const common = {
  block_length: z.number().int().min(1).optional(),
  confidence: z.enum(CONFIDENCE_KINDS).default('probability'),
  eos_gamma: z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]').default(1),
  eos_fill: z.boolean().default(true),
  early_commit: z.union([z.boolean(), earlyCommitSchema]).default(false),
};
const steps = z.number().int().min(1, 'must be at least 1').optional();

export const strategySchema = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('low_confidence'),
      steps,
      remasking: z.enum(['low_confidence', 'random']).default('low_confidence'),
      ...common,
    })
    .strict(),
  z.object({ name: z.literal('confident'), threshold: tau.default(0.9), steps, ...common }).strict(),
  z.object({ name: z.literal('threshold'), threshold: tau.default(0.9), ...common }).strict(),
  z.object({ name: z.literal('factor'), factor: z.number().positive().max(10).default(1), ...common }).strict(),
  z.object({ name: z.literal('ascending'), ...common }).strict(),
  z
    .object({
      name: z.literal('prophet'),
      steps,
      ...common,
      early_commit: z.union([z.literal(true), earlyCommitSchema]).default(true),
    })
    .strict(),
]);
export type StrategySpec = z.infer<typeof strategySchema>;
export type StrategyInput = z.input<typeof strategySchema>;
export type StrategyName = StrategySpec['name'];
export const STRATEGY_NAMES = strategySchema.options.map((o) => o.shape.name.value) as StrategyName[];

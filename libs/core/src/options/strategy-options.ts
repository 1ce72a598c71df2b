/**
 * Decoding strategies, selectable by name with validated parameters. This zod schema is the one
 * source of the accepted shape (the CLI, the HTTP API and its protocol validate through it). It
 * fills in no defaults, so that what a request names can be told from what it leaves out:
 * decoding/strategy.ts fills the gaps from the model's decoding defaults (the bundle manifest's
 * `decoding` section) and then from its built-in ones, and builds the commit rule.
 *
 * | name | rule (upstream function) |
 * | --- | --- |
 * | `low_confidence` | LLaDA fixed steps (`generate.py: generate`): `steps`, `block_length`, `remasking` |
 * | `dream` | Dream's eps-linspace schedule (`diffusion_generate`): `steps`, `eps`, `alg`, `alg_temp`; `commit_block_start` |
 * | `confident` | Dimple's confident decoding (`DimpleGenerationMixin._sample`, pipeline `dim`): `threshold`, `steps`, `eps`, `alg`, `alg_temp` |
 * | `threshold` | Fast-dLLM: top-1 plus every mask with confidence ≥ `threshold`; `commit_block_start` |
 * | `factor` | Fast-dLLM's factor rule with `factor` f (`get_transfer_index_dynamic`); `commit_block_start` |
 * | `ascending` | 2^i tokens at step i of each block |
 * | `prophet` | LLaDA fixed steps with Prophet's early commit (`generate_earlyexit.py: generate`) |
 *
 * Options every strategy takes are `commonStrategyOptions` (docs/decoding.md lists them).
 */
import { z } from 'zod';

/** How sure the model is about a masked position (decoding/confidence.ts computes each). */
export const CONFIDENCE_KINDS = ['probability', 'margin', 'neg_entropy'] as const;
export type ConfidenceKind = (typeof CONFIDENCE_KINDS)[number];

/**
 * Prophet's early commit (decoding/early-commit.ts): the mean top-1/top-2 logit gap over a window
 * of the answer against `thresholds[k]` while progress < `boundaries[k]`, the last one after the
 * last boundary.
 */
export const earlyCommitSchema = z
  .object({
    thresholds: z.array(z.number().positive()).min(1).default([7.5, 5, 2.5]),
    boundaries: z.array(z.number().gt(0).lt(1)).default([0.33, 0.67]),
    /** First answer position of the window. */
    answer_start: z.number().int().min(0).default(0),
    /** Positions in the window (upstream hard-codes 5). */
    answer_length: z.number().int().min(1).default(5),
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

/** Dream's and Dimple's `alg`: how positions are chosen (`origin`: at random) and ranked. */
export const DREAM_ALGS = ['origin', 'maskgit_plus', 'topk_margin', 'entropy'] as const;
export type DreamAlg = (typeof DREAM_ALGS)[number];

const tau = z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]');
const tokenIds = z.array(z.number().int().nonnegative());
/** Options every strategy takes. */
export const commonStrategyOptions = {
  block_length: z.number().int().min(1).optional(),
  confidence: z.enum(CONFIDENCE_KINDS).optional(),
  eos_gamma: z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]').optional(),
  eos_fill: z.boolean().optional(),
  early_commit: z.union([z.boolean(), earlyCommitSchema]).optional(),
  cfg_scale: z.number().min(0).max(100).optional(),
  logits_eos_inf: z.boolean().optional(),
  confidence_eos_eot_inf: z.boolean().optional(),
  suppress_tokens: tokenIds.optional(),
  stop_tokens: tokenIds.optional(),
  use_original_confidence: z.boolean().optional(),
  keep_mask_logit: z.boolean().optional(),
};
const steps = z.number().int().min(1, 'must be at least 1').optional();
const eps = z.number().gt(0, 'must be in (0, 1)').lt(1, 'must be in (0, 1)').optional();
const alg = z.enum(DREAM_ALGS).optional();
const algTemp = z.number().min(0).optional();
const remasking = z.enum(['low_confidence', 'random']).optional();
const commitBlockStart = z.boolean().optional();

export const strategySchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('low_confidence'), steps, remasking, ...commonStrategyOptions }).strict(),
  z
    .object({
      name: z.literal('dream'),
      steps,
      eps,
      alg,
      alg_temp: algTemp,
      commit_block_start: commitBlockStart,
      ...commonStrategyOptions,
    })
    .strict(),
  z
    .object({
      name: z.literal('confident'),
      threshold: tau.optional(),
      steps,
      eps,
      alg,
      alg_temp: algTemp,
      ...commonStrategyOptions,
    })
    .strict(),
  z
    .object({
      name: z.literal('threshold'),
      threshold: tau.optional(),
      commit_block_start: commitBlockStart,
      ...commonStrategyOptions,
    })
    .strict(),
  z
    .object({
      name: z.literal('factor'),
      factor: z.number().positive().max(10).optional(),
      commit_block_start: commitBlockStart,
      ...commonStrategyOptions,
    })
    .strict(),
  z.object({ name: z.literal('ascending'), ...commonStrategyOptions }).strict(),
  z.object({ name: z.literal('prophet'), steps, remasking, ...commonStrategyOptions }).strict(),
]);
export type StrategySpec = z.infer<typeof strategySchema>;
export type StrategyInput = z.input<typeof strategySchema>;
export type StrategyName = StrategySpec['name'];
export const STRATEGY_NAMES = strategySchema.options.map((o) => o.shape.name.value) as StrategyName[];

/** The strategy a request gets when neither it nor the model's defaults name one. */
export const DEFAULT_STRATEGY: StrategyName = 'confident';

/**
 * `unmask convert` flags → a validated invocation (zod). Unknown flags, missing folders and
 * unknown weight formats or operator sets are one-line errors.
 */
import { parseArgs } from 'node:util';
import { UnmaskError } from '@unmask/core';
import { LM_OPS, NBITS_BLOCK_SIZES, type NBitsBlockSize, WEIGHT_FORMATS } from '@unmask/convert';
import { z } from 'zod';

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  weights: { type: 'string' },
  ops: { type: 'string' },
  'block-size': { type: 'string' },
  'max-batch-size': { type: 'string' },
  name: { type: 'string' },
  lm: { type: 'string' },
  whisper: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const convertFlagsSchema = z.object({
  from: z.string({ error: '--from CHECKPOINT_DIR is required' }).min(1, '--from must not be empty'),
  to: z.string({ error: '--to BUNDLE_DIR is required' }).min(1, '--to must not be empty'),
  weights: z
    .enum(WEIGHT_FORMATS, {
      error: (issue) => `--weights must be one of ${WEIGHT_FORMATS.join(', ')}, got ${JSON.stringify(issue.input)}`,
    })
    .default('fp32'),
  ops: z
    .enum(LM_OPS, { error: (issue) => `--ops must be one of ${LM_OPS.join(', ')}, got ${JSON.stringify(issue.input)}` })
    .optional(),
  'block-size': z
    .enum(
      NBITS_BLOCK_SIZES.map((size) => String(size)),
      {
        error: (issue) =>
          `--block-size must be one of ${NBITS_BLOCK_SIZES.join(', ')}, got ${JSON.stringify(issue.input)}`,
      },
    )
    .transform((size) => Number(size) as NBitsBlockSize)
    .optional(),
  'max-batch-size': z
    .string()
    .regex(/^[1-9]\d{0,3}$/, '--max-batch-size must be a whole number from 1 to 9999')
    .transform(Number)
    .optional(),
  name: z.string().min(1, '--name must not be empty').optional(),
  lm: z.string().min(1, '--lm must not be empty').optional(),
  whisper: z.string().min(1, '--whisper must not be empty').optional(),
});

export type ConvertInvocation =
  | (z.infer<typeof convertFlagsSchema> & { readonly help: false })
  | { readonly help: true };

export function parseConvertArgs(argv: string[]): ConvertInvocation {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UnmaskError('invalid_parameter', (error as Error).message.replace(/\. To specify.*$/s, ''), 'argv');
  }
  const { help, ...flags } = parsed.values;
  if (help) return { help: true };
  const result = convertFlagsSchema.safeParse(flags);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UnmaskError('invalid_parameter', issue.message, `--${String(issue.path[0] ?? 'argv')}`);
  }
  return { ...result.data, help: false };
}

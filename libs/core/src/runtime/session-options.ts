/**
 * Options of an ONNX session, validated at the boundary. They map one to one onto
 * onnxruntime's `InferenceSession.SessionOptions` (CPU execution provider).
 */
import { z } from 'zod';
import { UnmaskError } from '../errors.js';

export const sessionOptionsSchema = z
  .object({
    /** Threads one operator may use; onnxruntime's default is one per physical core. */
    intraOpNumThreads: z.number().int().min(0).max(256).optional(),
    /** Threads running independent operators in parallel (only with executionMode "parallel"). */
    interOpNumThreads: z.number().int().min(0).max(256).optional(),
    graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'layout', 'all']).optional(),
    executionMode: z.enum(['sequential', 'parallel']).optional(),
    enableCpuMemArena: z.boolean().optional(),
    enableMemPattern: z.boolean().optional(),
    /**
     * Whether idle intra-/inter-op threads spin waiting for work (onnxruntime's
     * `session.intra_op.allow_spinning` / `session.inter_op.allow_spinning`; its default is to
     * spin). Spinning lowers latency when the threads have the cores to themselves and wastes
     * them when other work shares the machine.
     */
    allowSpinning: z.boolean().optional(),
    /** 0 verbose … 4 fatal; default 3 (errors only). */
    logSeverityLevel: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
  })
  .strict();
export type SessionOptions = z.infer<typeof sessionOptionsSchema>;

export function parseSessionOptions(options: unknown, where = 'session options'): SessionOptions {
  const parsed = sessionOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new UnmaskError(
      'invalid_parameter',
      `${where}${path ? `.${path}` : ''}: ${issue?.message ?? 'invalid'}`,
      path || undefined,
    );
  }
  return parsed.data;
}

/** onnxruntime-node's SessionOptions for ours: the same fields, spinning as config entries. */
export function toOrtSessionOptions(options: SessionOptions): Record<string, unknown> {
  const { allowSpinning, ...rest } = options;
  if (allowSpinning === undefined) return rest;
  const spin = allowSpinning ? '1' : '0';
  return { ...rest, extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } } };
}

/**
 * What the real-width benchmark runs: the engines × formats of each bit width (measured
 * together, their forwards interleaved), split into waves whose estimated resident memory fits
 * the budget (engines of one wave are loaded at once).
 */
import { NBITS_BLOCK_SIZES, type NBitsBlockSize } from '@unmask/convert';
import type { GgufType } from './gguf-encoding.js';
import { type FamilyShape, parameters } from './shapes.js';

export type EngineKind = 'unmask' | 'llama.cpp' | 'pytorch';
/** What `unmask convert --weights` writes. */
export type UnmaskWeights = 'fp32' | 'fp16' | 'int8' | 'int4';
/** An unmask format of the bench: the weights, and for int8 / int4 optionally `@` a MatMulNBits block size. */
export type UnmaskFormat = UnmaskWeights | `${'int8' | 'int4'}@${NBitsBlockSize}`;
export type TorchFormat = 'fp32' | 'bf16' | 'int8';
export const UNMASK_FORMATS: readonly UnmaskWeights[] = ['fp32', 'fp16', 'int8', 'int4'];

/**
 * Reads an unmask format: `int8` is `--weights int8` at the converter's default block size,
 * `int8@32` the same with `--block-size 32` (so one run can compare block sizes side by side);
 * undefined for anything else.
 */
export function parseUnmaskFormat(format: string): { weights: UnmaskWeights; blockSize?: NBitsBlockSize } | undefined {
  const [weights, block, ...rest] = format.split('@');
  if (rest.length > 0 || !UNMASK_FORMATS.includes(weights as UnmaskWeights)) return undefined;
  if (block === undefined) return { weights: weights as UnmaskWeights };
  const blockSize = Number(block) as NBitsBlockSize;
  if (
    (weights !== 'int8' && weights !== 'int4') ||
    !NBITS_BLOCK_SIZES.includes(blockSize) ||
    String(blockSize) !== block
  )
    return undefined;
  return { weights, blockSize };
}
export const TORCH_FORMATS: readonly TorchFormat[] = ['fp32', 'bf16', 'int8'];

export interface EngineSpec {
  readonly kind: EngineKind;
  readonly format: UnmaskFormat | GgufType | TorchFormat;
  /** Bits per weight of the layers' matrices: the group it is compared in. */
  readonly bits: 32 | 16 | 8 | 4;
}

export function bitsOf(kind: EngineKind, format: string): 32 | 16 | 8 | 4 {
  if (kind === 'llama.cpp') return ({ F32: 32, F16: 16, Q8_0: 8, Q4_0: 4 } as const)[format as GgufType];
  if (kind === 'pytorch') return ({ fp32: 32, bf16: 16, int8: 8 } as const)[format as TorchFormat];
  const unmask = parseUnmaskFormat(format);
  if (!unmask) throw new Error(`unknown unmask format ${format}`);
  return ({ fp32: 32, fp16: 16, int8: 8, int4: 4 } as const)[unmask.weights];
}

export function label(spec: Pick<EngineSpec, 'kind' | 'format'>): string {
  return `${spec.kind} ${spec.format}`;
}

/**
 * Resident memory an engine is expected to need, for planning waves only (the report gives the
 * measured figures): unmask as its layers' weights at their packed size plus the head (the
 * embedding table is memory-mapped and mostly untouched), fp16 widened to float32 at load;
 * llama.cpp the file minus the untouched embedding; PyTorch its weights in memory (embedding
 * in bf16).
 */
export function estimatedResident(spec: EngineSpec, shape: FamilyShape, layers: number): number {
  const all = parameters(shape, layers);
  const embed = shape.vocab * shape.hidden;
  const rest = all - embed;
  const bytesPerWeight = { 32: 4, 16: 2, 8: 1.25, 4: 0.75 }[spec.bits];
  switch (spec.kind) {
    case 'unmask':
      return rest * (spec.bits === 16 ? 4 : bytesPerWeight) * 1.15 + 0.3e9;
    case 'llama.cpp':
      return rest * bytesPerWeight + 0.3e9;
    case 'pytorch':
      return rest * bytesPerWeight + embed * 2 + 0.4e9;
  }
}

/** The engines of one bit width, in the order unmask, llama.cpp, PyTorch. */
export function groups(specs: readonly EngineSpec[]): EngineSpec[][] {
  const order: EngineKind[] = ['unmask', 'llama.cpp', 'pytorch'];
  return ([32, 16, 8, 4] as const)
    .map((bits) => specs.filter((s) => s.bits === bits).sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)))
    .filter((g) => g.length > 0);
}

/**
 * Splits a group into waves that fit `budgetBytes` together (first fit, in group order). An
 * engine too big for the budget alone still gets a wave of its own.
 */
export function waves(
  group: readonly EngineSpec[],
  estimate: (s: EngineSpec) => number,
  budgetBytes: number,
): EngineSpec[][] {
  const out: { specs: EngineSpec[]; bytes: number }[] = [];
  for (const spec of group) {
    const bytes = estimate(spec);
    const wave = out.find((w) => w.bytes + bytes <= budgetBytes);
    if (wave) {
      wave.specs.push(spec);
      wave.bytes += bytes;
    } else out.push({ specs: [spec], bytes });
  }
  return out.map((w) => w.specs);
}

/** Timed runs at a number of positions: `runs`, one fewer from 1024 positions up (at least 1). */
export function runsAt(positions: number, runs: number): number {
  return positions >= 1024 ? Math.max(1, runs - 1) : runs;
}

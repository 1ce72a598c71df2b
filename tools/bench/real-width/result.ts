/** What one real-width benchmark run measured (written as real-width.json). */
import type { MachineInfo } from '../machine.js';
import type { Floor } from './floor.js';
import type { EngineKind } from './plan.js';
import type { Family, FamilyShape } from './shapes.js';

export interface ForwardTiming {
  readonly positions: number;
  /** Timed runs, seconds, in order. */
  readonly seconds: readonly number[];
  readonly median: number;
  /** FLOPs of the forward (layers at these positions + the head on the logit rows). */
  readonly flops: number;
  /** Argmax token of each logit row, first timed run. */
  readonly argmax: readonly number[];
}

export interface EngineResult {
  readonly kind: EngineKind;
  readonly format: string;
  readonly bits: number;
  /** Engine and version. */
  readonly engine?: string;
  /** The model file(s) the engine loads (bundle folder, GGUF, or the bf16 checkpoint for PyTorch). */
  readonly fileBytes: number;
  /** Building the file: `unmask convert` or the GGUF writer (seconds, peak RSS of the converter). */
  readonly build?: { readonly seconds: number; readonly peakRss?: number };
  readonly loadSeconds?: number;
  /** RSS before loading (runtime and libraries), after loading, after the forwards, and the peak. */
  readonly baselineRss?: number;
  readonly rssAfterLoad?: number;
  readonly steadyRss?: number;
  readonly peakRss?: number;
  readonly forwards: ForwardTiming[];
  /** Batched forwards: rows × positions, seconds (median), interleaved with one-row forwards. */
  readonly batching?: BatchTiming[];
  /** Engines loaded at the same time (its wave). */
  readonly wave: readonly string[];
  readonly loadAverage?: readonly number[];
  readonly error?: string;
}

export interface BatchTiming {
  readonly positions: number;
  readonly rows: number;
  readonly median: number;
  readonly oneRowMedian: number;
  readonly runs: number;
}

export interface FamilyResult {
  readonly family: Family;
  readonly shape: FamilyShape;
  readonly layers: number;
  readonly parameters: number;
  readonly checkpoint: { readonly bytes: number; readonly seconds: number };
  readonly engines: EngineResult[];
}

export interface RealWidthResult {
  readonly options: {
    readonly families: readonly Family[];
    readonly layers: number;
    readonly positions: readonly number[];
    readonly logits: number;
    readonly runs: number;
    readonly threads: number;
    readonly memoryBudgetGiB: number;
    readonly batchRows: number;
    readonly batchPositions: readonly number[];
  };
  readonly machine: MachineInfo & { uptimeAtStart: string; uptimeAtEnd?: string };
  readonly floor: Floor;
  readonly families: FamilyResult[];
  readonly notes: string[];
  readonly seconds: number;
}

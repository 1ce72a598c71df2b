/** The shape of bench.json: everything one run measured. */
import type { ManifestSizes } from '@unmask/core';
import type { ThroughputResult } from './batching.js';
import type { CellResult } from './grid.js';
import type { MachineInfo } from './machine.js';
import type { MatmulRate } from './matmul-rate.js';
import type { PassScaling } from './pass-scaling.js';
import type { PrefixBucket } from './prefix-by-length.js';
import type { SweepResult } from './session-sweep.js';

export interface PeerComparison {
  readonly weights: string;
  readonly torch: string;
  readonly threads: number;
  readonly requests: number;
  readonly peerP50Ms: number;
  readonly peerMeanMs: number;
  readonly oursP50Ms: number;
  readonly oursMeanMs: number;
  readonly speedupP50: number;
  readonly speedupMean: number;
  /** Prompts whose canvases agree token for token. */
  readonly agree: number;
  /** Prompts on which the peer met a decision within 1e-3 of a tie. */
  readonly nearTies: number;
  readonly disagreements: {
    readonly prompt: number;
    readonly ours: number[];
    readonly peer: number[];
    readonly minMargin: number;
  }[];
}

export interface BenchResult {
  readonly model: { readonly dir: string; readonly name: string; readonly description?: string };
  readonly eval: {
    readonly source: string;
    readonly count: number;
    readonly meanPromptTokens: number;
    readonly withImage: number;
    readonly withAudio: number;
    /** Each request's prompt length in sample order (tokens, media placeholders expanded); each answer carries its own too. */
    readonly promptTokens?: number[];
  };
  readonly canvas: number;
  /** Semi-autoregressive block length of the grid's strategies and the peer (absent: the whole canvas). */
  readonly blockLength?: number;
  readonly threads: number;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  seconds: number;
  readonly notes: string[];
  readonly floor: {
    readonly sizes: ManifestSizes;
    readonly layerWeights: number;
    readonly intermediateSize: number;
    readonly examplePositions: number;
    readonly exampleFlops: number;
    readonly matmul: MatmulRate;
  };
  grid: CellResult[];
  /** The grid's latencies and agreement split by prompt length (prefix-by-length.ts). */
  prefixByLength?: PrefixBucket[];
  peer?: PeerComparison;
  peerSkipped?: string;
  batching: ThroughputResult[];
  /** One-row vs n-row pass time, measured just before the batching runs (pass-scaling.ts). */
  passScaling?: PassScaling;
  readonly batchingStrategy: unknown;
  sweep?: {
    readonly positions: number;
    readonly logits: number;
    readonly rounds: number;
    readonly results: SweepResult[];
    readonly poolSize: {
      readonly poolSize: number;
      readonly requestsPerSecond: number;
      readonly latencyP50Ms: number;
    }[];
    readonly fastest: string;
    readonly recommendations: string[];
  };
}

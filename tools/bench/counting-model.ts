/**
 * A LanguageModel that forwards to another and records every pass: its wall time, its rows,
 * and its FLOPs (flops.ts). The decoding engine runs on it unchanged.
 */
import type { ForwardRow, ForwardRowResult, LanguageModel, ModelInfo } from '@unmask/core';
import type { LmCost } from './flops.js';

export interface PassRecord {
  readonly ms: number;
  readonly rows: number;
  readonly flops: number;
  /** Positions computed in the pass, over all rows. */
  readonly positions: number;
}

export class CountingModel implements LanguageModel {
  passes: PassRecord[] = [];

  constructor(
    private readonly inner: LanguageModel,
    private readonly cost: LmCost,
  ) {}

  get info(): ModelInfo {
    return this.inner.info;
  }

  async forward(rows: readonly ForwardRow[]): Promise<ForwardRowResult[]> {
    const started = performance.now();
    const result = await this.inner.forward(rows);
    const ms = performance.now() - started;
    let flops = 0;
    let positions = 0;
    for (const row of rows) {
      const segment = row.inputIds.length;
      flops += this.cost.flops(segment, row.past?.length ?? 0, row.logitsIndices.length);
      positions += segment;
    }
    this.passes.push({ ms, rows: rows.length, flops, positions });
    return result;
  }

  /** Returns the passes recorded since the last call and starts a new record. */
  take(): PassRecord[] {
    const taken = this.passes;
    this.passes = [];
    return taken;
  }
}

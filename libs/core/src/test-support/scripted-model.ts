/**
 * A test double for `LanguageModel` whose logits come from a script: for each requested
 * position the script sees the whole sequence as this pass sees it (cached positions plus the
 * segment) and returns logits for the position being predicted. It honours the cache contract
 * (keep ranges, releases) so caching logic is tested against it, and records every call.
 */
import type {
  ForwardRow,
  ForwardRowResult,
  IndexRange,
  KvCache,
  LanguageModel,
  ModelInfo,
} from '../model/language-model.js';

export interface ScriptContext {
  /** Token id at each absolute position this pass can see (undefined where neither cached nor in the segment). */
  readonly sequence: ReadonlyMap<number, number>;
  /** Absolute position whose token the logits predict. */
  readonly target: number;
  /** 0-based index of the forward call. */
  readonly call: number;
  /** Row index within the batch. */
  readonly row: number;
}

export type Script = (context: ScriptContext) => Float32Array;

export interface RecordedRow {
  readonly segmentLength: number;
  readonly pastLength: number;
  readonly positionIds: number[];
  /** Row-major [3, segment] M-RoPE positions, when the row carried them. */
  readonly mropePositionIds?: number[];
  readonly logitsIndices: number[];
  readonly kept: boolean;
}

class ScriptedCache implements KvCache {
  released = false;
  constructor(readonly entries: readonly { position: number; id: number }[]) {}
  get length(): number {
    return this.entries.length;
  }
  /** One byte per cached position: enough for byte budgets to be tested against. */
  get bytes(): number {
    return this.entries.length;
  }
  release(): void {
    this.released = true;
  }
}

export const DEFAULT_INFO: ModelInfo = {
  vocabSize: 16,
  hiddenSize: 4,
  maxPositions: 256,
  maskTokenId: 15,
  eosTokenId: 1,
  padTokenId: 0,
  shiftedLogits: false,
};

export class ScriptedModel implements LanguageModel {
  readonly calls: RecordedRow[][] = [];
  readonly caches: ScriptedCache[] = [];

  constructor(
    private readonly script: Script,
    readonly info: ModelInfo = DEFAULT_INFO,
  ) {}

  async forward(rows: readonly ForwardRow[]): Promise<ForwardRowResult[]> {
    const call = this.calls.length;
    this.calls.push(
      rows.map((r) => ({
        segmentLength: r.inputIds.length,
        pastLength: r.past?.length ?? 0,
        positionIds: Array.from(r.positionIds),
        ...(r.mropePositionIds ? { mropePositionIds: Array.from(r.mropePositionIds) } : {}),
        logitsIndices: Array.from(r.logitsIndices),
        kept: r.keep !== undefined,
      })),
    );
    await Promise.resolve();
    return rows.map((r, row) => {
      const past = r.past as ScriptedCache | undefined;
      if (past?.released) throw new Error('a released cache was used');
      const entries = [
        ...(past?.entries ?? []),
        ...Array.from(r.inputIds, (id, i) => ({ position: r.positionIds[i] as number, id })),
      ];
      const sequence = new Map(entries.map((e) => [e.position, e.id]));
      const vocab = this.info.vocabSize;
      const logits = new Float32Array(r.logitsIndices.length * vocab);
      Array.from(r.logitsIndices).forEach((index, k) => {
        const source = r.positionIds[index] as number;
        const target = source + (this.info.shiftedLogits ? 1 : 0);
        logits.set(this.script({ sequence, target, call, row }), k * vocab);
      });
      let cache: ScriptedCache | undefined;
      if (r.keep) {
        cache = new ScriptedCache(r.keep.flatMap(([s, e]: IndexRange) => entries.slice(s, e)));
        this.caches.push(cache);
      }
      return cache ? { logits, cache } : { logits };
    });
  }
}

/** Logits whose softmax gives `token` probability `p` and shares the rest evenly. */
export function peaked(token: number, p: number, vocab: number = DEFAULT_INFO.vocabSize): Float32Array {
  const rest = (1 - p) / (vocab - 1);
  return Float32Array.from({ length: vocab }, (_, i) => Math.log(i === token ? p : rest));
}

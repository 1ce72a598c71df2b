/**
 * A LLaDA-layout transformer written out in plain JavaScript (float64 sums) from a checkpoint's
 * safetensors, as a `LanguageModel`: the independent reference the ONNX path is checked against
 * (prefix-cache-reference.test.ts). Tests only; nothing here is fast or shared with the runtime.
 *
 * It implements the LM graph contract's semantics directly (bidirectional attention over the
 * row's cached keys and its segment, rotary before caching, `keep` ranges) and one attention rule
 * more: with `prefixAlone: n`, a query at an absolute position below n sees only keys at positions
 * below n (the cross-request prefix cache's semantics, stated as a mask on a full forward).
 */
import type { ForwardRow, ForwardRowResult, KvCache, LanguageModel, ModelInfo } from '../model/language-model.js';
import { SafetensorsFile } from './safetensors-file.js';

export interface ReferenceConfig {
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly layers: number;
  readonly vocab: number;
  readonly ropeTheta: number;
  readonly rmsNormEps: number;
}

interface Layer {
  readonly attnNorm: Float32Array;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly o: Float32Array;
  readonly ffnNorm: Float32Array;
  readonly gate: Float32Array;
  readonly up: Float32Array;
  readonly down: Float32Array;
}

/** Rotated keys and values of some positions, per layer [positions, kvHeads · headDim], with their absolute positions. */
export class ReferenceCache implements KvCache {
  released = false;
  constructor(
    readonly positions: readonly number[],
    readonly keys: readonly Float64Array[],
    readonly values: readonly Float64Array[],
  ) {}
  get length(): number {
    return this.positions.length;
  }
  release(): void {
    this.released = true;
  }
}

/** `x` [rows, in] · `w`ᵀ (`w` [out, in], PyTorch order) → [rows, out]. */
function linear(x: Float64Array, rows: number, w: Float32Array, out: number): Float64Array {
  const inner = w.length / out;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let sum = 0;
      for (let i = 0; i < inner; i++) sum += x[r * inner + i]! * w[o * inner + i]!;
      y[r * out + o] = sum;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, rows: number, weight: Float32Array, eps: number): Float64Array {
  const width = weight.length;
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let meanSquare = 0;
    for (let i = 0; i < width; i++) meanSquare += x[r * width + i]! ** 2;
    const scale = 1 / Math.sqrt(meanSquare / width + eps);
    for (let i = 0; i < width; i++) y[r * width + i] = x[r * width + i]! * scale * weight[i]!;
  }
  return y;
}

/** The checkpoint's tensors as float32. */
export interface ReferenceWeights {
  readonly embed: Float32Array;
  readonly head: Float32Array;
  readonly finalNorm: Float32Array;
  readonly blocks: readonly Layer[];
}

/** Reads a LLaDA-layout checkpoint (`model.transformer.*`) of `layers` layers. */
export function readLladaWeights(file: string, layers: number): ReferenceWeights {
  const weights = SafetensorsFile.read(file);
  const get = (name: string) => weights.float32(name).data;
  return {
    embed: get('model.transformer.wte.weight'),
    head: get('model.transformer.ff_out.weight'),
    finalNorm: get('model.transformer.ln_f.weight'),
    blocks: Array.from({ length: layers }, (_, i) => {
      const p = `model.transformer.blocks.${i}`;
      return {
        attnNorm: get(`${p}.attn_norm.weight`),
        q: get(`${p}.q_proj.weight`),
        k: get(`${p}.k_proj.weight`),
        v: get(`${p}.v_proj.weight`),
        o: get(`${p}.attn_out.weight`),
        ffnNorm: get(`${p}.ff_norm.weight`),
        gate: get(`${p}.ff_proj.weight`),
        up: get(`${p}.up_proj.weight`),
        down: get(`${p}.ff_out.weight`),
      };
    }),
  };
}

export class ReferenceLlada implements LanguageModel {
  private readonly headDim: number;
  /** Every forward call's rows and logits, for tests that compare passes. */
  readonly calls: { row: ForwardRow; logits: Float32Array }[][] = [];

  constructor(
    private readonly weights: ReferenceWeights,
    readonly config: ReferenceConfig,
    readonly info: ModelInfo,
    private readonly options: { readonly prefixAlone?: number } = {},
  ) {
    this.headDim = config.hidden / config.heads;
  }

  async forward(rows: readonly ForwardRow[]): Promise<ForwardRowResult[]> {
    const results = rows.map((row) => this.row(row));
    this.calls.push(rows.map((row, i) => ({ row, logits: results[i]!.logits.slice() })));
    return results;
  }

  private rotate(x: Float64Array, rows: number, heads: number, positions: ArrayLike<number>): void {
    const D = this.headDim;
    const half = D / 2;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < half; j++) {
        const angle = positions[r]! * this.config.ropeTheta ** ((-2 * j) / D);
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        for (let h = 0; h < heads; h++) {
          const at = r * heads * D + h * D;
          const a = x[at + j]!;
          const b = x[at + j + half]!;
          x[at + j] = a * cos - b * sin;
          x[at + j + half] = b * cos + a * sin;
        }
      }
    }
  }

  private row(row: ForwardRow): ForwardRowResult {
    const { hidden: H, heads, kvHeads, vocab, rmsNormEps: eps } = this.config;
    const D = this.headDim;
    const rep = heads / kvHeads;
    const S = row.inputIds.length;
    const past = row.past as ReferenceCache | undefined;
    if (past && !(past instanceof ReferenceCache)) throw new Error('a cache from another model');
    const positions = [...(past?.positions ?? []), ...Array.from(row.positionIds)];
    const P = past?.length ?? 0;
    const T = P + S;
    const alone = this.options.prefixAlone;
    const sees = (query: number, key: number) =>
      alone === undefined || positions[query]! >= alone || positions[key]! < alone;

    const x = new Float64Array(S * H);
    for (let s = 0; s < S; s++)
      for (let i = 0; i < H; i++) x[s * H + i] = this.weights.embed[row.inputIds[s]! * H + i]!;
    for (const splice of row.embeddings ?? [])
      for (let i = 0; i < splice.count * H; i++) x[splice.offset * H + i] = splice.data[i]!;

    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    this.weights.blocks.forEach((layer, l) => {
      const normed = rmsNorm(x, S, layer.attnNorm, eps);
      const q = linear(normed, S, layer.q, heads * D);
      const k = linear(normed, S, layer.k, kvHeads * D);
      const v = linear(normed, S, layer.v, kvHeads * D);
      this.rotate(q, S, heads, row.positionIds);
      this.rotate(k, S, kvHeads, row.positionIds);
      const allKeys = new Float64Array(T * kvHeads * D);
      const allValues = new Float64Array(T * kvHeads * D);
      if (past) {
        allKeys.set(past.keys[l]!);
        allValues.set(past.values[l]!);
      }
      allKeys.set(k, P * kvHeads * D);
      allValues.set(v, P * kvHeads * D);
      keys.push(allKeys);
      values.push(allValues);

      const context = new Float64Array(S * heads * D);
      const scores = new Float64Array(T);
      for (let s = 0; s < S; s++) {
        for (let h = 0; h < heads; h++) {
          const g = Math.floor(h / rep);
          let max = -Infinity;
          for (let t = 0; t < T; t++) {
            if (!sees(P + s, t)) {
              scores[t] = -Infinity;
              continue;
            }
            let dot = 0;
            for (let d = 0; d < D; d++) dot += q[(s * heads + h) * D + d]! * allKeys[(t * kvHeads + g) * D + d]!;
            scores[t] = dot / Math.sqrt(D);
            max = Math.max(max, scores[t]!);
          }
          let total = 0;
          for (let t = 0; t < T; t++) {
            scores[t] = Math.exp(scores[t]! - max);
            total += scores[t]!;
          }
          for (let t = 0; t < T; t++) {
            const weight = scores[t]! / total;
            if (weight === 0) continue;
            for (let d = 0; d < D; d++)
              context[(s * heads + h) * D + d]! += weight * allValues[(t * kvHeads + g) * D + d]!;
          }
        }
      }
      const attended = linear(context, S, layer.o, H);
      for (let i = 0; i < x.length; i++) x[i]! += attended[i]!;
      const mlpIn = rmsNorm(x, S, layer.ffnNorm, eps);
      const gate = linear(mlpIn, S, layer.gate, layer.gate.length / H);
      const up = linear(mlpIn, S, layer.up, layer.up.length / H);
      for (let i = 0; i < gate.length; i++) gate[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
      const down = linear(gate, S, layer.down, H);
      for (let i = 0; i < x.length; i++) x[i]! += down[i]!;
    });

    const wanted = Array.from(row.logitsIndices);
    const picked = new Float64Array(wanted.length * H);
    wanted.forEach((s, r) => picked.set(x.subarray(s * H, (s + 1) * H), r * H));
    const final = rmsNorm(picked, wanted.length, this.weights.finalNorm, eps);
    const logits = Float32Array.from(linear(final, wanted.length, this.weights.head, vocab));

    let cache: ReferenceCache | undefined;
    if (row.keep) {
      const take = row.keep.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
      const pick = (all: Float64Array) => {
        const width = kvHeads * D;
        const out = new Float64Array(take.length * width);
        take.forEach((t, i) => out.set(all.subarray(t * width, (t + 1) * width), i * width));
        return out;
      };
      cache = new ReferenceCache(
        take.map((t) => positions[t]!),
        keys.map(pick),
        values.map(pick),
      );
    }
    return { logits, ...(cache ? { cache } : {}) };
  }
}

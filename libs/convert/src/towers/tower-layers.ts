/**
 * Layer helpers shared by the perception-tower graphs (Whisper encoder, SigLIP, Qwen2.5-VL
 * vision): projections, LayerNorm / RMSNorm, GELU / SiLU and multi-head self-attention over
 * hidden states kept as a 2-D [rows, width] matrix (rows = batch × tokens), so every
 * projection is one `Gemm` with the checkpoint's [out, in] weight (transB) streamed as is.
 *
 * Config parsing for the towers also lives here: a zod schema whose first failing field is
 * reported by name, as `invalid_bundle`.
 */
import { UnmaskError } from '@unmask/core';
import type { z } from 'zod';
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import type { InitializerSource, OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { TOWER_NBITS_BLOCK_SIZE, type WeightFormat } from '../weights/weight-format.js';
import { type WeightWriter, weightWriter } from '../weights/weight-writer.js';

/** The most negative float32: the attention bias of a hidden key. */
export const LOWEST_FLOAT32 = -3.4028234663852886e38;

/** Parses a tower's configuration, naming the first field that fails. */
export function parseTowerConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    throw new UnmaskError('invalid_bundle', `${source}: ${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  return parsed.data;
}

/** The same weights under different dims (e.g. a Conv3d kernel read as a [out, in] matrix). */
export function reshapedSource(source: InitializerSource, dims: readonly number[]): InitializerSource {
  return { ...source, dims, produce: (write) => source.produce(write) };
}

export class TowerOps {
  private readonly added = new Map<string, string>();
  private readonly constants = new Map<string, string>();

  private readonly writer: WeightWriter | undefined;

  /**
   * `format` applies to the projection matrices (`linear` without `dims`); convolution kernels,
   * norms, biases, embeddings and reshaped weights stay float32.
   */
  constructor(
    readonly g: OnnxGraphBuilder,
    readonly checkpoint: CheckpointTensors,
    readonly format: WeightFormat = 'fp32',
  ) {
    this.writer = format === 'fp32' ? undefined : weightWriter(format, g, checkpoint, TOWER_NBITS_BLOCK_SIZE);
  }

  /** The checkpoint tensor `name` as an initializer (added once), optionally under other dims. */
  weight(name: string, dims?: readonly number[]): string {
    const key = dims ? `${name}#${dims.join('x')}` : name;
    const known = this.added.get(key);
    if (known) return known;
    const source = this.checkpoint.float32Source(name);
    const added = this.g.initializer(dims ? key : name, dims ? reshapedSource(source, dims) : source);
    this.added.set(key, added);
    return added;
  }

  /** A float scalar (or vector) constant, shared by value. */
  float(value: number | readonly number[], dims?: readonly number[]): string {
    const values = typeof value === 'number' ? [value] : value;
    const key = `f:${values.join(',')}:${dims ? dims.join('x') : typeof value === 'number' ? 'scalar' : 'vector'}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.g.floats(
        `const_f${this.constants.size}`,
        values,
        dims ?? (typeof value === 'number' ? [] : [values.length]),
      );
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 vector constant (or scalar with `dims` = []), shared by value. */
  ints(values: readonly number[], dims?: readonly number[]): string {
    const key = `i:${values.join(',')}:${dims ? dims.join('x') : 'vector'}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.g.int64s(`const_i${this.constants.size}`, values, dims ?? [values.length]);
      this.constants.set(key, name);
    }
    return name;
  }

  /** x · Wᵀ (+ b) for x [rows, in] and the checkpoint's W [out, in], in the weight format. */
  linear(x: string, weightName: string, biasName?: string, dims?: readonly number[]): string {
    if (this.writer && !dims) {
      if (this.added.has(weightName))
        throw new Error(`weight ${weightName} is used twice; a quantised graph would store it twice`);
      this.added.set(weightName, weightName);
      return this.writer.linear(x, weightName, biasName ? { bias: biasName } : {});
    }
    const inputs = [x, this.weight(weightName, dims)];
    if (biasName) inputs.push(this.weight(biasName));
    return this.g.op('Gemm', inputs, { transB: 1 });
  }

  layerNorm(x: string, weightName: string, biasName: string, epsilon: number): string {
    return this.g.op('LayerNormalization', [x, this.weight(weightName), this.weight(biasName)], {
      axis: -1,
      epsilon: { float: epsilon },
    });
  }

  /** x / sqrt(mean(x²) + ε) · w, in the form onnxruntime fuses into SimplifiedLayerNormalization. */
  rmsNorm(x: string, weightName: string, epsilon: number): string {
    const { g } = this;
    const meanSquare = g.op('ReduceMean', [g.op('Pow', [x, this.float(2)])], { axes: [-1], keepdims: 1 });
    const normalized = g.op('Div', [x, g.op('Sqrt', [g.op('Add', [meanSquare, this.float(epsilon)])])]);
    return g.op('Mul', [normalized, this.weight(weightName)]);
  }

  /** GELU: `erf` is the exact form (`gelu`), `tanh` the approximation (`gelu_pytorch_tanh`). */
  gelu(x: string, form: 'erf' | 'tanh'): string {
    const { g } = this;
    if (form === 'erf') {
      const erf = g.op('Erf', [g.op('Mul', [x, this.float(Math.SQRT1_2)])]);
      return g.op('Mul', [g.op('Mul', [x, this.float(0.5)]), g.op('Add', [erf, this.float(1)])]);
    }
    const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [
      g.op('Add', [x, g.op('Mul', [cube, this.float(0.044715)])]),
      this.float(Math.sqrt(2 / Math.PI)),
    ]);
    return g.op('Mul', [g.op('Mul', [x, this.float(0.5)]), g.op('Add', [g.op('Tanh', [inner]), this.float(1)])]);
  }

  silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  /**
   * Multi-head attention of 2-D q, k, v [rows, heads·headDim] whose rows are batch × tokens
   * (`batchTokens`, a [2] int64 tensor, gives the batch; keys and values may come from another
   * sequence of the same batch: cross-attention). `rotate` is applied to q and k in
   * [batch, tokens, heads, headDim] layout; `bias` is added to the scores
   * [batch, heads, tokens, tokens] (broadcast). Returns the 2-D context [rows, heads·headDim].
   */
  selfAttention(
    q: string,
    k: string,
    v: string,
    options: {
      readonly batchTokens: string;
      readonly heads: number;
      readonly headDim: number;
      readonly rotate?: (x: string) => string;
      readonly bias?: string;
    },
  ): string {
    const { g } = this;
    const { heads, headDim } = options;
    // [batch, −1, heads, headDim]: keys and values may have another token count than queries.
    const batch = g.op('Slice', [options.batchTokens, this.ints([0]), this.ints([1])]);
    const split = g.op('Concat', [batch, this.ints([-1, heads, headDim])], { axis: 0 });
    const toHeads = (x: string, rotate: boolean, perm: number[]) => {
      let shaped = g.op('Reshape', [x, split]);
      if (rotate && options.rotate) shaped = options.rotate(shaped);
      return g.op('Transpose', [shaped], { perm });
    };
    const qh = toHeads(q, true, [0, 2, 1, 3]);
    const khT = toHeads(k, true, [0, 2, 3, 1]);
    const vh = toHeads(v, false, [0, 2, 1, 3]);
    let scores = g.op('Mul', [g.op('MatMul', [qh, khT]), this.float(1 / Math.sqrt(headDim))]);
    if (options.bias) scores = g.op('Add', [scores, options.bias]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), vh]);
    return g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), this.ints([-1, heads * headDim])]);
  }
}

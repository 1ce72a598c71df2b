/**
 * Writes a checkpoint's matrices into a graph in one weight format (weight-format.ts): the
 * projections `y = x · Wᵀ (+ b)` and the embedding lookup. lm-graph.ts builds the same graph for
 * every format through this interface; only the nodes around each weight differ.
 */
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { float16Source } from './fp16.js';
import { type NBits, nbitsQuantized } from './matmul-nbits.js';
import type { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { int8RowQuantized } from './quantize-int8.js';
import { NBITS_ACCURACY_LEVEL, NBITS_BLOCK_SIZE, type WeightFormat } from './weight-format.js';

const FLOAT = 1;

export interface LinearOptions {
  /** A float bias tensor of the checkpoint, added to the output. */
  readonly bias?: string;
  /** The initializer's name in the graph (default: the checkpoint tensor's name). */
  readonly name?: string;
  /** The LM head: int4 bundles keep it in 8 bits. */
  readonly head?: boolean;
}

export interface WeightWriter {
  readonly format: WeightFormat;
  /** `x [rows, in] · Wᵀ (+ bias)` for the checkpoint matrix `tensor` of shape [out, in]. */
  linear(x: string, tensor: string, options?: LinearOptions): string;
  /** Rows of the checkpoint table `tensor` ([rows, width]) at `ids`, as float32, named `output`. */
  gather(tensor: string, ids: string, name: string, output: string): string;
}

/** `blockSize`: MatMulNBits' block along K for int8 / int4 (weight-format.ts, NBITS_BLOCK_SIZE). */
export function weightWriter(
  format: WeightFormat,
  g: OnnxGraphBuilder,
  checkpoint: CheckpointTensors,
  blockSize: number = NBITS_BLOCK_SIZE,
): WeightWriter {
  const float32 = (name: string, tensor = name) => g.initializer(name, checkpoint.float32Source(tensor));
  const withBias = (y: string, bias?: string) => (bias ? g.op('Add', [y, float32(bias)]) : y);

  const nbits = (x: string, tensor: string, name: string, bits: NBits) => {
    const matrix = nbitsQuantized(checkpoint, tensor, bits, blockSize);
    const b = g.initializer(name, matrix.weight);
    const scales = g.initializer(`${name}.scales`, matrix.scales);
    const { k, n } = matrix.layout;
    return g.domainOp('com.microsoft', 1, 'MatMulNBits', [x, b, scales], {
      K: k,
      N: n,
      bits,
      block_size: matrix.layout.blockSize,
      accuracy_level: NBITS_ACCURACY_LEVEL,
    });
  };

  const linear = (x: string, tensor: string, options: LinearOptions = {}): string => {
    const name = options.name ?? tensor;
    switch (format) {
      case 'fp32':
        return g.op(
          'Gemm',
          options.bias ? [x, float32(name, tensor), float32(options.bias)] : [x, float32(name, tensor)],
          { transB: 1 },
        );
      case 'fp16': {
        const w = g.op('Cast', [g.initializer(name, float16Source(checkpoint, tensor))], { to: FLOAT });
        return g.op('Gemm', options.bias ? [x, w, float32(options.bias)] : [x, w], { transB: 1 });
      }
      case 'int8':
        return withBias(nbits(x, tensor, name, 8), options.bias);
      case 'int4':
        return withBias(nbits(x, tensor, name, options.head ? 8 : 4), options.bias);
    }
  };

  const gather = (tensor: string, ids: string, name: string, output: string): string => {
    switch (format) {
      case 'fp32':
        return g.op('Gather', [float32(name, tensor), ids], { axis: 0 }, output);
      case 'fp16':
        return g.op(
          'Cast',
          [g.op('Gather', [g.initializer(name, float16Source(checkpoint, tensor)), ids], { axis: 0 })],
          { to: FLOAT },
          output,
        );
      case 'int8':
      case 'int4': {
        const table = int8RowQuantized(checkpoint, tensor);
        const codes = g.op('Gather', [g.initializer(name, table.weight), ids], { axis: 0 });
        const scales = g.op('Gather', [g.initializer(`${name}.scales`, table.scales), ids], { axis: 0 });
        const rowScales = g.op('Unsqueeze', [scales, g.int64s(`${name}.scale_axis`, [-1])]);
        return g.op('Mul', [g.op('Cast', [codes], { to: FLOAT }), rowScales], {}, output);
      }
    }
  };

  return { format, linear, gather };
}

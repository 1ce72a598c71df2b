/**
 * Fitting a tensor to the graph input it feeds: a leading batch axis of 1 added or dropped to
 * match the declared rank, fixed sizes checked, and the element type the graph declares
 * (float32 data feeds a float16 input as is, converted at the onnxruntime boundary; int64
 * values feed an int32 input). Used where one graph's output feeds another (graph-chain.ts,
 * inside the worker too) and by the towers for their own feeds.
 */
import { UnmaskError } from '../errors.js';
import type { GraphIO, TensorData } from './graph-runner.js';

/** `label` names the graph in errors (e.g. "vision encoder"); errors are `invalid_bundle`. */
export function fitTensor(tensor: TensorData, io: GraphIO, label: string): TensorData {
  let dims = tensor.dims;
  if (io.dims.length === dims.length + 1) dims = [1, ...dims];
  else if (io.dims.length === dims.length - 1 && dims[0] === 1) dims = dims.slice(1);
  if (io.dims.length !== dims.length) {
    throw new UnmaskError(
      'invalid_bundle',
      `${label} graph input '${io.name}' has rank ${io.dims.length}, but the tensor for it is [${tensor.dims.join(', ')}]`,
      label,
    );
  }
  io.dims.forEach((d, i) => {
    if (typeof d === 'number' && d >= 0 && d !== dims[i]) {
      throw new UnmaskError(
        'invalid_bundle',
        `${label} graph input '${io.name}' expects [${io.dims.join(', ')}], got [${dims.join(', ')}]`,
        label,
      );
    }
  });
  if (io.type === tensor.type || (io.type === 'float16' && tensor.type === 'float32')) {
    return { type: io.type, dims, data: tensor.data };
  }
  if (io.type === 'int32' && tensor.type === 'int64') {
    return { type: 'int32', dims, data: Int32Array.from(tensor.data as BigInt64Array, Number) };
  }
  throw new UnmaskError(
    'invalid_bundle',
    `${label} graph input '${io.name}' has type ${io.type}, expected ${tensor.type}`,
    label,
  );
}

/** Integers (e.g. `image_grid_thw`) as a tensor of the integer type `io` declares (int64 or int32). */
export function integerTensor(
  values: readonly number[],
  dims: readonly number[],
  io: GraphIO,
  label: string,
): TensorData {
  if (io.type === 'int32') return fitTensor({ type: 'int32', dims, data: Int32Array.from(values) }, io, label);
  return fitTensor({ type: 'int64', dims, data: BigInt64Array.from(values, (v) => BigInt(v)) }, io, label);
}

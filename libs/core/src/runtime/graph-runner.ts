/**
 * The smallest interface over one ONNX graph: named tensors in, named tensors out. The worker
 * pool's sessions implement it; vision and audio encoders are written against it, so they run
 * the same way in-process and behind a worker.
 */
export type TensorElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

export interface TensorData {
  readonly type: TensorElementType;
  readonly dims: readonly number[];
  /** float32/float16 → Float32Array (float16 is converted at the boundary); int64 → BigInt64Array; int32 → Int32Array; bool/uint8 → Uint8Array. */
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export interface GraphIO {
  readonly name: string;
  readonly type: TensorElementType;
  /** Fixed sizes as numbers, symbolic ones as strings (e.g. "batch"). */
  readonly dims: readonly (number | string)[];
}

export interface GraphRunner {
  readonly inputs: readonly GraphIO[];
  readonly outputs: readonly GraphIO[];
  /** Runs the graph; returns the requested outputs (all when omitted). */
  run(
    feeds: Readonly<Record<string, TensorData>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, TensorData>>;
}

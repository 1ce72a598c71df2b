export { UnmaskError, isUnmaskError, type UnmaskErrorCode } from './errors.js';
export type { GraphRunner, GraphIO, TensorData, TensorElementType } from './runtime/graph-runner.js';

export { UnmaskError, isUnmaskError, type UnmaskErrorCode } from './errors.js';
export type { GraphRunner, GraphIO, TensorData, TensorElementType } from './runtime/graph-runner.js';
export type { LanguageModel, ModelInfo, ForwardRow, ForwardRowResult, KvCache, SplicedEmbeddings, IndexRange } from './model/language-model.js';
export * from './decoding/index.js';
export { SafetensorsFile, type Tensor, type SafetensorsDtype } from './io/safetensors.js';

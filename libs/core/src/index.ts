export { UnmaskError, isUnmaskError, type UnmaskErrorCode } from './errors.js';
export type { GraphRunner, GraphIO, TensorData, TensorElementType } from './runtime/graph-runner.js';
export type {
  LanguageModel,
  ModelInfo,
  ForwardRow,
  ForwardRowResult,
  KvCache,
  SplicedEmbeddings,
  IndexRange,
} from './model/language-model.js';
export * from './options/index.js';
export * from './decoding/index.js';
export { float32ToFloat16Bits, float32BitsToFloat16Bits, float16BitsToFloat32 } from './io/float16.js';
export {
  DTYPE_BYTES,
  FLOAT_DTYPES,
  parseSafetensorsHeader,
  toFloat32,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './io/safetensors.js';
export { OnnxWorkerPool, type WorkerPoolOptions, type CreateSessionOptions } from './runtime/worker-pool.js';
export { siblingModule, startModuleWorker } from './runtime/module-worker.js';
export { OnnxSession, type RunOptions } from './runtime/onnx-session.js';
export { runChain, type ChainLink } from './runtime/graph-chain.js';
export { fitTensor, integerTensor } from './runtime/tensor-fit.js';
export { sessionOptionsSchema, parseSessionOptions, type SessionOptions } from './runtime/session-options.js';
export type { WorkerStats, WorkerChannel } from './runtime/worker-protocol.js';
export {
  OnnxLanguageModel,
  OnnxKvCache,
  type OnnxLanguageModelOptions,
  type LmGeometry,
  type KeyValueOutputs,
} from './model/onnx-language-model.js';
export { TextTokenizer, type EncodeOptions, type DecodeOptions } from './tokenizer/text-tokenizer.js';
export {
  ChatTemplate,
  chatMessageSchema,
  contentPartSchema,
  type ChatMessage,
  type RenderOptions,
} from './tokenizer/chat-template.js';
export {
  manifestSchema,
  tokenRefSchema,
  visionSectionSchema,
  audioSectionSchema,
  generationSectionSchema,
  tokensPerImageSchema,
  decodingSectionSchema,
  MANIFEST_FORMATS,
  LM_CONTRACTS,
  type Manifest,
  type ManifestSizes,
  type TokenRef,
  type VisionSection,
  type AudioSection,
  type GenerationSection,
  type TokensPerImage,
  type DecodingSection,
} from './bundle/manifest.js';
export { resolveDecodingSection } from './bundle/decoding-section.js';
export {
  loadBundle,
  readManifest,
  type Bundle,
  type LoadBundleOptions,
  type ResolvedToken,
  type SpecialTokens,
} from './bundle/load-bundle.js';
export {
  checkGraphIO,
  embedGraphContract,
  lmGraphContract,
  type ExpectedGraph,
  type ExpectedIO,
} from './bundle/graph-contract.js';

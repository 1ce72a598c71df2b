export { convertCheckpoint, convertOptionsSchema, WEIGHT_FORMATS, SUPPORTED_WEIGHT_FORMATS, type ConvertOptions, type ConvertProgress, type ConvertResult, type WeightFormat } from './convert-checkpoint.js';
export { readArchitecture, architectureFromConfig, type LmArchitecture, type TensorLayout } from './checkpoint-config.js';
export { CheckpointTensors, type CheckpointTensor } from './checkpoint-tensors.js';
export { tensorNames, expectedShapes, checkTensors, type LmTensorNames, type LayerTensorNames } from './tensor-layout.js';
export { buildEmbedGraph, buildLmGraph } from './lm-graph.js';
export { OnnxGraphBuilder, memorySource, DEFAULT_EXTERNAL_DATA_THRESHOLD, type InitializerSource, type WriteGraphOptions, type WrittenGraph } from './onnx-graph-builder.js';
export { readBundleMetadata, makeManifest, PLAIN_CHAT_TEMPLATE, type BundleMetadata } from './bundle-metadata.js';

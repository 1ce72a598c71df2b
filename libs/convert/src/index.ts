export {
  convertCheckpoint,
  convertOptionsSchema,
  WEIGHT_FORMATS,
  SUPPORTED_WEIGHT_FORMATS,
  NBITS_BLOCK_SIZE,
  NBITS_BLOCK_SIZES,
  type NBitsBlockSize,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertResult,
  type WeightFormat,
} from './convert-checkpoint.js';
export {
  readArchitecture,
  architectureFromConfig,
  type LmArchitecture,
  type TensorLayout,
} from './lm/checkpoint-config.js';
export { CheckpointTensors, type CheckpointTensor } from './checkpoint/checkpoint-tensors.js';
export {
  tensorNames,
  expectedShapes,
  checkTensors,
  type LmTensorNames,
  type LayerTensorNames,
} from './lm/tensor-layout.js';
export { buildEmbedGraph, buildLmGraph } from './lm/lm-graph.js';
export { contribLayers, DEFAULT_LM_OPS, LM_OPS, type LmOps, type ContribLayerInputs } from './lm/lm-contrib-layers.js';
export {
  OnnxGraphBuilder,
  memorySource,
  DEFAULT_EXTERNAL_DATA_THRESHOLD,
  type InitializerSource,
  type WriteGraphOptions,
  type WrittenGraph,
} from './onnx/onnx-graph-builder.js';
export {
  readBundleMetadata,
  makeManifest,
  PLAIN_CHAT_TEMPLATE,
  type BundleMetadata,
} from './bundle/bundle-metadata.js';
export { checkTensorShapes } from './lm/tensor-layout.js';
export { TowerOps, parseTowerConfig } from './towers/tower-layers.js';
export {
  buildWhisperEncoderGraph,
  checkWhisperEncoderTensors,
  WHISPER_SMALL_ENCODER,
  parseWhisperEncoderConfig,
  whisperEncoderConfigSchema,
  whisperEncoderShapes,
  type WhisperEncoderConfig,
  type WhisperEncoderOptions,
} from './towers/whisper-encoder-graph.js';
export {
  buildSiglipGraph,
  checkSiglipTensors,
  LLADA_V_SIGLIP,
  SIGLIP_SO400M_PATCH14_384,
  parseSiglipVisionConfig,
  siglipShapes,
  siglipVisionConfigSchema,
  type SiglipOptions,
  type SiglipVisionConfig,
} from './towers/siglip-graph.js';
export {
  buildQwen2VlVisionGraph,
  checkQwen2VlVisionTensors,
  QWEN25_VL_7B_VISION,
  parseQwen2VlVisionConfig,
  qwen2VlVisionConfigSchema,
  qwen2VlVisionShapes,
  type Qwen2VlVisionConfig,
  type Qwen2VlVisionOptions,
} from './towers/qwen2-vl-vision-graph.js';
export {
  buildMlpProjectorGraph,
  checkMlpProjectorTensors,
  dimpleProjector,
  lladaVProjector,
  mlpProjectorShapes,
  type MlpProjectorLayout,
  type ProjectorActivation,
} from './towers/projector-graph.js';
export { buildDiffaAdapterGraph, checkDiffaAdapterTensors } from './towers/diffa-adapter-graph.js';
export {
  DIFFA_TAPS,
  diffaAdapterLayout,
  diffaAdapterShapes,
  diffaConfigSchema,
  type DiffaAdapterLayout,
} from './towers/diffa-adapter-layout.js';
export { attachAudio, attachVision, type AudioAttachment, type VisionAttachment } from './bundle/tower-bundle.js';
export { weightWriter, type WeightWriter, type LinearOptions } from './weights/weight-writer.js';
export { convertModel, type ModelConvertOptions, type ModelConvertResult } from './convert-model.js';
export { DIFFA_PROMPT, LLADA_V_PROMPT, type FamilyPrompt } from './families/family-prompts.js';
export { diffaSources, DIFFA_UNUSED, type DiffaSources } from './families/diffa-sources.js';
export {
  multimodalKind,
  multimodalPlan,
  lladaVPlan,
  diffaPlan,
  type MultimodalKind,
  type MultimodalPlan,
  type LladaVPlan,
  type DiffaPlan,
} from './families/multimodal-config.js';
export { ensurePlaceholderToken, mediaChatTemplate, type MediaText } from './bundle/media-placeholders.js';
export { PICKLE_FILES, TORCH_FILE, TORCH_INDEX_FILE } from './checkpoint/checkpoint-tensors.js';
export { readTorchCheckpoint } from './checkpoint/torch-checkpoint.js';
export { dimplePlan, DIMPLE_DEFAULT_MROPE_SECTION, type DimplePlan } from './families/dimple-config.js';
export {
  dimpleImagePrompt,
  dimpleProcessorConfig,
  DIMPLE_IMAGE_PAD,
  DIMPLE_VISION_START,
  DIMPLE_VISION_END,
  type DimpleImagePrompt,
} from './families/dimple-prompt.js';
export { checkMropeSections, mropeAngles, mropeComponentOf, type MropeSections } from './lm/mrope-rotary.js';
export {
  DECODING_FAMILIES,
  FAMILY_DECODING,
  familyDecoding,
  type DecodingFamily,
  type FamilyDecoding,
} from './bundle/decoding-defaults.js';

export {
  decodeImage,
  readImageHeader,
  decodeOptionsSchema,
  type DecodeOptions,
  type ImageHeader,
} from './decode-image.js';
export { assertRgbImage, type RgbImage } from './rgb-image.js';
export {
  resizeRgb,
  PIL_RESAMPLE_CODES,
  type ResampleFilter,
  type ResizeArithmetic,
  type ResizeOptions,
} from './resample.js';
export { smartResize, roundHalfEven, type SmartResizeOptions } from './smart-resize.js';
export { toChannelsFirst, type NormalizeOptions } from './normalize.js';
export { patchifyFrame, type PatchifyOptions, type Patches } from './patchify.js';
export {
  imageProcessorConfigSchema,
  fixedSizeProcessorSchema,
  qwen2VlProcessorSchema,
  unmaskProcessorSchema,
  parseImageProcessorConfig,
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  type ImageProcessorConfig,
  type ImageProcessorConfigInput,
  type FixedSizeProcessorConfig,
  type Qwen2VlProcessorConfig,
  type UnmaskProcessorConfig,
} from './processor-config.js';
export { createImageProcessor, type ImageProcessor, type ProcessedImage } from './image-processor.js';
export { VisionEncoder, type VisionEncoderOptions, type ImageFeatures } from './vision-encoder.js';
export { PreprocessThread } from './preprocess-thread.js';
export {
  anyresConfigSchema,
  parseAnyresConfig,
  anyresMaxPatches,
  assertPinpointsTile,
  expandGridPinpoints,
  type AnyresConfig,
} from './anyres-config.js';
export { selectBestResolution, anyresGrid, type AnyresGrid } from './anyres-grid.js';
export {
  anyresViews,
  resizeAndPad,
  createAnyresProcessor,
  type AnyresViews,
  type AnyresProcessed,
  type AnyresProcessor,
} from './anyres-views.js';

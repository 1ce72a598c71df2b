export { Unmask, type AskRequest, type AskResult, type AskStep, type AskStream, type UnmaskOptions } from './unmask.js';
export { buildPrompt, userMessage, type BuiltPrompt } from './prompt-builder.js';
export { ImageTower, AudioTower, type MediaFeatures, type MediaLimits } from './media-encoders.js';
export { defaultModelDir, DEFAULT_MODEL_DIR } from './default-model.js';
export { mropePositionTable, type GridSpan } from './mrope-positions.js';

export { Rng } from './rng.js';
export { normaliseText, normalisePrompt, answersMatch } from './normalise.js';
export * from './shapes/spec.js';
export * from './shapes/scene.js';
export * from './shapes/questions.js';
export * from './shapes/cells.js';
export {
  sceneToSvg,
  renderSvg,
  renderSvgPixels,
  encodeRgb,
  type EncodeOptions,
  type ImageFormat,
} from './shapes/render-svg.js';
export { rasterisePixels, renderRaster } from './shapes/render-raster.js';
export * from './home/spec.js';
export * from './home/utterance.js';
export * from './home/speech.js';
export * from './refusal.js';
export * from './tasks.js';
export * from './refusal-examples.js';
export * from './wordings/template.js';
export * from './wordings/shapes.js';
export * from './wordings/home.js';
export * from './wordings/decorate.js';
export * from './wordings/prompts.js';
export * from './wordings/recognise.js';
export * from './wordings/noise.js';
export { sampleSpokenEnglish, spokenEnglishSentences, SPOKEN_ENGLISH_MAX_WORDS } from './wordings/english.js';

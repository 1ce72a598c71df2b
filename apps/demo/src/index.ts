/** The demo's pure helpers (the page itself starts from src/main.ts). */
export { SseParser } from './sse.js';
export { canvasAt, runStats, type Cell, type RunStats } from './denoising.js';
export { encodeWav16, resampleLinear } from './wav.js';
export { bytesToBase64, mediaType, formatBytes } from './media.js';
export { buildRequest, ApiError, type AskOptions, type StrategyInput } from './api.js';

/** `@unmask/core/testing`: helpers for the tests of the libraries above core; not part of the runtime entry. */
export { SafetensorsFile, type Tensor } from './safetensors-file.js';

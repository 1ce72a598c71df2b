/** The preprocessing thread's side: one processor per configuration, results transferred back. */
import { parentPort } from 'node:worker_threads';
import { isUnmaskError } from '@unmask/core';
import { createImageProcessor, type ImageProcessor } from './image-processor.js';
import type { RgbImage } from './rgb-image.js';

export interface PreprocessRequest {
  readonly id: number;
  readonly config: unknown;
  readonly image: RgbImage;
}

const processors = new Map<string, ImageProcessor>();

parentPort?.on('message', ({ id, config, image }: PreprocessRequest) => {
  try {
    const key = JSON.stringify(config);
    let processor = processors.get(key);
    if (!processor) {
      processor = createImageProcessor(config);
      processors.set(key, processor);
    }
    const result = processor.preprocess(image);
    parentPort?.postMessage({ id, ok: true, result }, [result.pixel_values.data.buffer as ArrayBuffer]);
  } catch (error) {
    const e = error as Error;
    parentPort?.postMessage({
      id,
      ok: false,
      error: isUnmaskError(error)
        ? { code: error.code, message: error.message, param: error.param }
        : { code: 'runtime_error', message: `image preprocessing failed: ${e?.message ?? String(error)}` },
    });
  }
});

// Loaded: the thread may take images (PreprocessThread.start waits for this).
parentPort?.postMessage({ ready: true });

/**
 * The preprocessing thread's side: one processor per configuration (an anyres one when the
 * request carries `anyres`), results transferred back.
 */
import { parentPort } from 'node:worker_threads';
import { isUnmaskError, type TensorData } from '@unmask/core';
import { parseAnyresConfig } from './anyres-config.js';
import { createAnyresProcessor } from './anyres-views.js';
import { createImageProcessor } from './image-processor.js';
import type { RgbImage } from './rgb-image.js';

export interface PreprocessRequest {
  readonly id: number;
  readonly config: unknown;
  /** A `vision.anyres` section: the image's anyres views rather than one processed image. */
  readonly anyres?: unknown;
  readonly image: RgbImage;
}

interface Processor {
  preprocess(image: RgbImage): { readonly pixel_values: TensorData };
}

const processors = new Map<string, Processor>();

function processorFor(config: unknown, anyres: unknown): Processor {
  const key = JSON.stringify([config, anyres ?? null]);
  let processor = processors.get(key);
  if (!processor) {
    const plain = createImageProcessor(config);
    processor = anyres === undefined ? plain : createAnyresProcessor(plain, parseAnyresConfig(anyres));
    processors.set(key, processor);
  }
  return processor;
}

parentPort?.on('message', ({ id, config, anyres, image }: PreprocessRequest) => {
  try {
    const processor = processorFor(config, anyres);
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

/**
 * An image processor on its own worker thread. Resizing reproduces PIL's and torchvision's
 * integer arithmetic, so it is TypeScript, and a large image holds the thread it runs on for
 * a while; here that thread is not the event loop, so one request's pixels never stall another
 * request's decoding, its HTTP traffic or its timers. Images are processed one at a time in the
 * order sent; a thread that dies fails what it held and is replaced on the next image.
 * An anyres processor (LLaVA's views, anyres-views.ts) runs there too: `views()`.
 * `start()` starts the thread ahead of the first image (the model's load does), so that no
 * request waits for it and a thread that cannot start fails the load, not a request.
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker, UnmaskError, type UnmaskErrorCode } from '@unmask/core';
import { parseAnyresConfig } from './anyres-config.js';
import type { AnyresProcessed } from './anyres-views.js';
import { createImageProcessor, type ImageProcessor, type ProcessedImage } from './image-processor.js';
import type { RgbImage } from './rgb-image.js';

const entry = siblingModule(import.meta.url, 'preprocess-worker');

interface Pending {
  readonly resolve: (value: ProcessedImage | AnyresProcessed) => void;
  readonly reject: (error: Error) => void;
}

type Reply =
  | { ready: true }
  | { id: number; ok: true; result: ProcessedImage | AnyresProcessed }
  | { id: number; ok: false; error: { code: UnmaskErrorCode; message: string; param?: string } };

export class PreprocessThread {
  /** The same processor, for what is cheap (target sizes, feature counts). */
  readonly processor: ImageProcessor;
  private worker: Worker | undefined;
  /** Settles when the current worker has loaded its module (or failed to). */
  private ready: Promise<void> | undefined;
  private loaded = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  /**
   * `config`: the image processor's; `anyres`: a `vision.anyres` section, for `views()`
   * (validated here, on the calling thread).
   */
  constructor(
    private readonly config: unknown,
    private readonly anyres?: unknown,
  ) {
    this.processor = createImageProcessor(config);
    if (anyres !== undefined) parseAnyresConfig(anyres);
  }

  /**
   * Processes `image` on the thread. With `transfer`, pixels that fill their own buffer are moved
   * there rather than copied (the caller's array is then empty): the copy of a large image is
   * itself work on the calling thread.
   */
  preprocess(image: RgbImage, options: { transfer?: boolean } = {}): Promise<ProcessedImage> {
    return this.send(image, undefined, options) as Promise<ProcessedImage>;
  }

  /**
   * The anyres views of `image` (`createAnyresProcessor` over this processor) made on the
   * thread: `pixel_values` [views, 3, tile, tile], the grid and the image's size.
   */
  views(image: RgbImage, options: { transfer?: boolean } = {}): Promise<AnyresProcessed> {
    if (this.anyres === undefined)
      return Promise.reject(new UnmaskError('runtime_error', 'this preprocessing thread was made without anyres'));
    return this.send(image, this.anyres, options) as Promise<AnyresProcessed>;
  }

  private send(
    image: RgbImage,
    anyres: unknown,
    options: { transfer?: boolean },
  ): Promise<ProcessedImage | AnyresProcessed> {
    if (this.closed)
      return Promise.reject(new UnmaskError('runtime_error', 'the image preprocessing thread is closed'));
    const worker = this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      const { data } = image;
      const whole =
        data.byteOffset === 0 &&
        data.byteLength === data.buffer.byteLength &&
        !(data.buffer instanceof SharedArrayBuffer);
      const message = {
        id,
        config: this.config,
        ...(anyres !== undefined ? { anyres } : {}),
        image: { width: image.width, height: image.height, data },
      };
      worker.postMessage(message, options.transfer && whole ? [data.buffer as ArrayBuffer] : []);
    });
  }

  /**
   * Starts the thread now rather than on the first image; resolves once it has loaded the
   * processor's module, rejects (`runtime_error`) when it cannot.
   */
  async start(): Promise<void> {
    if (this.closed) throw new UnmaskError('runtime_error', 'the image preprocessing thread is closed');
    this.spawn();
    await this.ready;
  }

  /** A thread is running and has loaded its module. */
  get started(): boolean {
    return this.loaded;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    this.loaded = false;
    this.fail(new UnmaskError('runtime_error', 'the image preprocessing thread was closed'));
    await worker?.terminate();
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    // Loading the module is work in flight: the thread holds the process open until it is ready.
    const worker = startModuleWorker(entry);
    let markReady: () => void = () => {};
    let failStart: (error: Error) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    // Requests wait on their own promises; the start-up outcome matters to `start()` only.
    this.ready.catch(() => {});
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        if (this.worker === worker) this.loaded = true;
        if (this.pending.size === 0) worker.unref();
        return markReady();
      }
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new UnmaskError(reply.error.code, reply.error.message, reply.error.param));
    });
    let lastError: Error | undefined;
    worker.on('error', (error) => {
      lastError = error;
    });
    worker.on('exit', (code) => {
      const stopped = new UnmaskError(
        'runtime_error',
        `the image preprocessing thread stopped (${lastError?.message ?? `exit code ${code}`})`,
      );
      failStart(stopped);
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.ready = undefined;
      this.loaded = false;
      this.fail(stopped);
    });
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}

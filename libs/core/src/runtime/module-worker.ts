/**
 * Worker threads on a module of this repository, whether it runs from TypeScript source (tsx)
 * or built JavaScript: every worker starts in `worker-bootstrap.mjs`, which registers tsx when
 * the module is TypeScript (Node 20 does not carry the parent's module hooks into a worker) and
 * then imports it. The ONNX worker pool and libs/vision's preprocessing thread both start theirs
 * here.
 */
import { Worker } from 'node:worker_threads';

const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url);

/**
 * The URL of the module `name` (without extension) beside `base` (the caller's
 * `import.meta.url`): its `.ts` source when the caller runs from source, else its `.js`.
 */
export function siblingModule(base: string, name: string): string {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base).href;
}

/** A worker thread running the module at `entry` (a file URL). */
export function startModuleWorker(entry: string): Worker {
  return new Worker(bootstrap, { workerData: { entry } });
}

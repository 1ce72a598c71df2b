// Entry of every worker thread (module-worker.ts): Node 20 does not carry the parent's module
// hooks (tsx) into a worker, so when the worker module is TypeScript source this registers tsx
// first, then imports it.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);

// Entry of the image preprocessing thread. Node 20 does not carry the parent's module hooks
// (tsx) into a worker, so when the worker module is TypeScript source this registers tsx first
// (the same as core's ONNX worker bootstrap).
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);

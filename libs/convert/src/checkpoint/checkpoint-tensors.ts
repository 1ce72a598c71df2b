/**
 * The tensors of a Hugging Face checkpoint folder, read as a stream: `model.safetensors`, or the
 * shards listed by `model.safetensors.index.json`; failing those, PyTorch's `pytorch_model.bin`
 * or the shards of `pytorch_model.bin.index.json` (torch.save zip archives, read by
 * torch-checkpoint.ts without executing their pickle). Only the headers are read up front; a tensor's
 * data is read from its file in chunks when a graph writer asks for it, converted to float32
 * chunk by chunk, so memory stays at one chunk however large the checkpoint is.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { DTYPE_BYTES, FLOAT_DTYPES, toFloat32, UnmaskError } from '@unmask/core';
import { z } from 'zod';
import type { InitializerSource } from '../onnx/onnx-graph-builder.js';
import type { CheckpointTensor } from './checkpoint-tensor.js';
import { readSafetensorsCheckpoint } from './safetensors-checkpoint.js';
import { readTorchCheckpoint } from './torch-checkpoint.js';

export type { CheckpointTensor } from './checkpoint-tensor.js';

const indexSchema = z.object({ weight_map: z.record(z.string(), z.string().min(1)) });

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** PyTorch checkpoints (torch.save zip archives) some checkpoints ship instead of safetensors (DIFFA). */
export const TORCH_FILE = 'pytorch_model.bin';
export const TORCH_INDEX_FILE = 'pytorch_model.bin.index.json';
/** Other PyTorch file names, not looked for: named in the error when no weights are found. */
export const PICKLE_FILES = ['model.bin', 'model.pt', 'model.pth'] as const;

/** Elements converted per chunk by default (32 MiB of float32). */
export const CHUNK_ELEMENTS = 8 * 1024 * 1024;

export interface OpenCheckpointOptions {
  /** Elements read and converted at a time (default `CHUNK_ELEMENTS`). */
  readonly chunkElements?: number;
}

export class CheckpointTensors {
  /** One chunk's bytes and floats, reused by every read that is not nested in another (fresh pages cost more than converting them). */
  private scratch: { raw: Uint8Array; floats: Float32Array } | undefined;
  private scratchInUse = false;

  private constructor(
    readonly dir: string,
    readonly tensors: ReadonlyMap<string, CheckpointTensor>,
    private readonly chunkElements: number,
  ) {}

  /** Reads the headers of `model.safetensors` or of every shard of the index in `dir`. */
  static open(dir: string, options: OpenCheckpointOptions = {}): CheckpointTensors {
    const tensors = new Map<string, CheckpointTensor>();
    const formats = [
      { single: SINGLE_FILE, index: INDEX_FILE, read: readSafetensorsCheckpoint },
      { single: TORCH_FILE, index: TORCH_INDEX_FILE, read: readTorchCheckpoint },
    ];
    const format = formats.find((f) => existsSync(join(dir, f.index)) || existsSync(join(dir, f.single)));
    if (!format) {
      const pickle = PICKLE_FILES.find((file) => existsSync(join(dir, file)));
      const other = pickle
        ? ` (it has ${pickle}: rename a torch.save zip archive to ${TORCH_FILE} to have it read)`
        : '';
      throw new UnmaskError(
        'invalid_bundle',
        `${dir}: the checkpoint has neither ${SINGLE_FILE} nor ${INDEX_FILE}, nor ${TORCH_FILE} nor ${TORCH_INDEX_FILE}${other}`,
        dir,
      );
    }
    const indexPath = join(dir, format.index);
    if (existsSync(indexPath)) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(indexPath, 'utf8'));
      } catch (error) {
        throw new UnmaskError(
          'invalid_bundle',
          `${indexPath}: not valid JSON (${(error as Error).message})`,
          indexPath,
        );
      }
      const index = indexSchema.safeParse(raw);
      if (!index.success)
        throw new UnmaskError(
          'invalid_bundle',
          `${indexPath}: weight_map: ${index.error.issues[0]?.message ?? 'malformed'}`,
          indexPath,
        );
      const shards = [...new Set(Object.values(index.data.weight_map))];
      for (const shard of shards) {
        if (shard.includes('/') || shard.includes('\\'))
          throw new UnmaskError(
            'invalid_bundle',
            `${indexPath}: shard "${shard}" is not a file name in the checkpoint folder`,
            indexPath,
          );
        const path = join(dir, shard);
        if (!existsSync(path))
          throw new UnmaskError('invalid_bundle', `${indexPath}: shard "${shard}" does not exist in ${dir}`, shard);
        for (const tensor of format.read(path)) {
          if (tensors.has(tensor.name))
            throw new UnmaskError(
              'invalid_bundle',
              `${path}: tensor "${tensor.name}" is also in ${tensors.get(tensor.name)!.file}`,
              tensor.name,
            );
          tensors.set(tensor.name, tensor);
        }
      }
      for (const [name, shard] of Object.entries(index.data.weight_map)) {
        const found = tensors.get(name);
        if (!found)
          throw new UnmaskError(
            'invalid_bundle',
            `${indexPath}: tensor "${name}" is listed in shard "${shard}" but no shard has it`,
            name,
          );
        if (found.file !== join(dir, shard))
          throw new UnmaskError(
            'invalid_bundle',
            `${indexPath}: tensor "${name}" is listed in shard "${shard}" but lives in ${found.file}`,
            name,
          );
      }
    } else {
      for (const tensor of format.read(join(dir, format.single))) tensors.set(tensor.name, tensor);
    }
    return new CheckpointTensors(dir, tensors, options.chunkElements ?? CHUNK_ELEMENTS);
  }

  get(name: string): CheckpointTensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new UnmaskError('invalid_bundle', `${this.dir}: the checkpoint has no tensor "${name}"`, name);
    return tensor;
  }

  /**
   * Streams `name` as float32 chunks (F32, F16, BF16, F64 are converted). A chunk's memory is reused
   * for the next one: `onChunk` consumes or copies it before it returns.
   */
  readFloat32Chunks(name: string, onChunk: (chunk: Float32Array) => void): void {
    const tensor = this.get(name);
    this.readFloat32Range(name, 0, tensor.byteLength / DTYPE_BYTES[tensor.dtype], onChunk);
  }

  /** Elements [`first`, `first + count`) of `name` (in storage order), streamed as `readFloat32Chunks` streams all of them. */
  readFloat32Range(name: string, first: number, count: number, onChunk: (chunk: Float32Array) => void): void {
    const tensor = this.get(name);
    const bytes = DTYPE_BYTES[tensor.dtype];
    if (!FLOAT_DTYPES.includes(tensor.dtype)) {
      throw new UnmaskError(
        'invalid_bundle',
        `${tensor.file}: tensor "${name}" is ${tensor.dtype}, not a float type`,
        name,
      );
    }
    if (endianness() !== 'LE') throw new UnmaskError('runtime_error', 'the converter needs a little-endian machine');
    const total = tensor.byteLength / bytes;
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0 || first + count > total)
      throw new RangeError(`tensor ${name}: elements [${first}, ${first + count}) are not within its ${total}`);
    const nested = this.scratchInUse;
    const scratch = this.chunkBuffers(bytes, nested);
    this.scratchInUse = true;
    const fd = openSync(tensor.file, 'r');
    try {
      for (let start = first; start < first + count; start += this.chunkElements) {
        const n = Math.min(this.chunkElements, first + count - start);
        const raw = scratch.raw.subarray(0, n * bytes);
        let got = 0;
        while (got < raw.length) {
          const read = readSync(fd, raw, got, raw.length - got, tensor.offset + start * bytes + got);
          if (read === 0)
            throw new UnmaskError(
              'invalid_bundle',
              `${tensor.file}: tensor "${name}" is cut short (the file ends early)`,
              name,
            );
          got += read;
        }
        onChunk(toFloat32(tensor.dtype, raw, n, scratch.floats));
      }
    } finally {
      closeSync(fd);
      if (!nested) this.scratchInUse = false;
    }
  }

  /** The number of elements of `name`. */
  elements(name: string): number {
    return this.get(name).shape.reduce((a, b) => a * b, 1);
  }

  /** A chunk's buffers for elements of `bytes` bytes: the kept ones (grown if too small), fresh ones for a nested read. */
  private chunkBuffers(bytes: number, nested: boolean): { raw: Uint8Array; floats: Float32Array } {
    const fresh = () => ({
      raw: new Uint8Array(this.chunkElements * bytes),
      floats: new Float32Array(this.chunkElements),
    });
    if (nested) return fresh();
    if (!this.scratch || this.scratch.raw.length < this.chunkElements * bytes) this.scratch = fresh();
    return this.scratch;
  }

  /** The whole tensor as float32 (for small tensors and tests). */
  readFloat32(name: string): Float32Array {
    const out = new Float32Array(this.elements(name));
    let offset = 0;
    this.readFloat32Chunks(name, (chunk) => {
      out.set(chunk, offset);
      offset += chunk.length;
    });
    return out;
  }

  /** A float32 initializer source reading `name` when the graph is written. */
  float32Source(name: string): InitializerSource {
    return {
      dataType: 'FLOAT',
      dims: this.get(name).shape,
      byteLength: this.elements(name) * 4,
      produce: (write) =>
        this.readFloat32Chunks(name, (chunk) =>
          write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
        ),
    };
  }
}

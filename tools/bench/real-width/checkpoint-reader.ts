/**
 * Reads the bf16 tensors of a sharded safetensors checkpoint (as `checkpoint.ts` writes it) a
 * few rows at a time, as float32, without holding a shard in memory.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { toFloat32 } from '@unmask/core';

interface Entry {
  readonly file: string;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in its file. */
  readonly start: number;
}

export class CheckpointReader {
  private readonly entries = new Map<string, Entry>();
  private readonly fds = new Map<string, number>();
  /** The bytes and floats of the last rows read, reused (fresh pages cost more than converting them). */
  private bytes = new Uint8Array(0);
  private floats = new Float32Array(0);

  constructor(readonly dir: string) {
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
    };
    for (const file of new Set(Object.values(index.weight_map))) {
      const fd = openSync(join(dir, file), 'r');
      this.fds.set(file, fd);
      const length = Buffer.alloc(8);
      readSync(fd, length, 0, 8, 0);
      const headerLength = Number(length.readBigUInt64LE(0));
      const header = Buffer.alloc(headerLength);
      readSync(fd, header, 0, headerLength, 8);
      const parsed = JSON.parse(header.toString('utf8')) as Record<
        string,
        { dtype: string; shape: number[]; data_offsets: [number, number] }
      >;
      for (const [name, value] of Object.entries(parsed)) {
        if (name === '__metadata__') continue;
        if (value.dtype !== 'BF16') throw new Error(`${file}: ${name} is ${value.dtype}; the reader takes bf16 only`);
        this.entries.set(name, { file, shape: value.shape, start: 8 + headerLength + value.data_offsets[0] });
      }
    }
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  shape(name: string): readonly number[] {
    return this.entry(name).shape;
  }

  /** `count` rows (of the last dimension's length) from row `first`, as float32: valid until the next call. */
  rows(name: string, first: number, count: number): Float32Array {
    const entry = this.entry(name);
    const width = entry.shape.length === 1 ? entry.shape[0]! : entry.shape.at(-1)!;
    const n = count * width;
    if (this.floats.length < n) {
      this.bytes = new Uint8Array(n * 2);
      this.floats = new Float32Array(n);
    }
    const bytes = this.bytes.subarray(0, n * 2);
    let done = 0;
    while (done < bytes.length) {
      const read = readSync(
        this.fds.get(entry.file)!,
        bytes,
        done,
        bytes.length - done,
        entry.start + first * width * 2 + done,
      );
      if (read <= 0) throw new Error(`${entry.file}: ${name} ends early`);
      done += read;
    }
    return toFloat32('BF16', bytes, n, this.floats);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`${this.dir}: no tensor ${name}`);
    return entry;
  }
}

/** The tensor index of one safetensors file, read from its header alone (the data stays in the file). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseSafetensorsHeader, UnmaskError } from '@unmask/core';
import type { CheckpointTensor } from './checkpoint-tensor.js';

export function readSafetensorsCheckpoint(file: string): CheckpointTensor[] {
  const fd = openSync(file, 'r');
  try {
    const header = parseSafetensorsHeader(
      (offset, length) => {
        const bytes = Buffer.alloc(length);
        return bytes.subarray(0, readSync(fd, bytes, 0, length, offset));
      },
      fstatSync(fd).size,
      (why) => new UnmaskError('invalid_bundle', `${file}: not a valid safetensors file: ${why}`, file),
    );
    return header.entries.map(({ name, dtype, shape, begin, byteLength }) => ({
      name,
      dtype,
      shape,
      file,
      offset: header.dataStart + begin,
      byteLength,
    }));
  } finally {
    closeSync(fd);
  }
}

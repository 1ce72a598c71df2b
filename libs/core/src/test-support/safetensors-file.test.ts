import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile } from './safetensors-file.js';
import { isUnmaskError } from '../errors.js';

function write(header: object, data: Buffer): string {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const path = join(mkdtempSync(join(tmpdir(), 'st-')), 'x.safetensors');
  writeFileSync(path, Buffer.concat([length, json, data]));
  return path;
}

describe('SafetensorsFile', () => {
  it('reads float32 and int64 tensors with their shapes', () => {
    const f = Buffer.alloc(16);
    [1.5, -2, 3.25, 0].forEach((v, i) => f.writeFloatLE(v, i * 4));
    const ids = Buffer.alloc(16);
    ids.writeBigInt64LE(7n, 0);
    ids.writeBigInt64LE(-1n, 8);
    const path = write(
      {
        w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        ids: { dtype: 'I64', shape: [2], data_offsets: [16, 32] },
        __metadata__: { format: 'pt' },
      },
      Buffer.concat([f, ids]),
    );
    const file = SafetensorsFile.read(path);
    assert.deepEqual(Array.from(file.float32('w').data), [1.5, -2, 3.25, 0]);
    assert.deepEqual(file.float32('w').shape, [2, 2]);
    assert.deepEqual(file.integers('ids').data, [7, -1]);
    assert.equal(file.metadata.format, 'pt');
  });

  it('converts half and bfloat16', () => {
    const raw = Buffer.alloc(6);
    raw.writeUInt16LE(0x3c00, 0); // 1 in half
    raw.writeUInt16LE(0xc000, 2); // -2 in half
    raw.writeUInt16LE(0x3fc0, 4); // 1.5 in bfloat16
    const path = write(
      {
        h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
        b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
      },
      raw,
    );
    assert.deepEqual(Array.from(SafetensorsFile.read(path).float32('h').data), [1, -2]);
    assert.equal(SafetensorsFile.read(path).float32('b').data[0], 1.5);
  });

  it('rejects a tensor whose byte count does not match its shape, naming it', () => {
    const path = write({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8));
    assert.throws(
      () => SafetensorsFile.read(path),
      (e) => isUnmaskError(e, 'invalid_bundle') && /tensor "w"/.test(e.message),
    );
  });

  it('rejects a truncated file and a missing tensor', () => {
    const path = write({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, Buffer.alloc(4));
    assert.throws(() => SafetensorsFile.read(path), /runs past the end/);
    const ok = write({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4));
    assert.throws(() => SafetensorsFile.read(ok).tensor('v'), /no tensor named "v"/);
  });
});

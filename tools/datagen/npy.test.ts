import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float16BitsToFloat32 } from '@unmask/core';
import { NpyRowAppender, npyHeader, toFloat16, writeNpy } from './npy.js';

describe('npy files', () => {
  it('write a version 1.0 header padded to 64 bytes with dtype and shape', () => {
    const header = npyHeader('float16', [2, 3]);
    assert.equal(header.length % 64, 0);
    assert.equal(header.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    assert.match(header.toString('latin1'), /\{'descr': '<f2', 'fortran_order': False, 'shape': \(2, 3\), \}\s*\n$/);
    assert.match(npyHeader('int32', [5]).toString('latin1'), /'shape': \(5,\)/);
  });

  it('store the values after the header, little-endian', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'npy-')), 'x.npy');
    writeNpy(path, 'int32', [3], [1, -2, 300]);
    const bytes = readFileSync(path);
    const data = bytes.subarray(bytes.length - 12);
    assert.deepEqual([data.readInt32LE(0), data.readInt32LE(4), data.readInt32LE(8)], [1, -2, 300]);
  });

  it('refuse more or fewer values than the shape', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'npy-')), 'x.npy');
    assert.throws(() => writeNpy(path, 'uint8', [2], [1, 2, 3]), /more values/);
    assert.throws(() => writeNpy(path, 'uint8', [2], [1]), /wrote 1 values/);
  });

  it('stream rows whose count is known only at the end: the header, in its reserved room, gives the final shape', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'npy-')), 'rows.npy');
    const rows = new NpyRowAppender(path, 'int32', [2]);
    rows.append([1, 2, 3, 4]);
    rows.append([5, -6]);
    assert.throws(() => rows.append([7]), /not whole rows of 2/);
    rows.close();
    assert.equal(rows.rows, 3);
    const bytes = readFileSync(path);
    const headerLength = 10 + bytes.readUInt16LE(8);
    assert.equal(headerLength % 64, 0);
    assert.match(bytes.subarray(0, headerLength).toString('latin1'), /'shape': \(3, 2\), \}\s*\n$/);
    const data = bytes.subarray(headerLength);
    assert.deepEqual(
      Array.from({ length: 6 }, (_, i) => data.readInt32LE(4 * i)),
      [1, 2, 3, 4, 5, -6],
    );
  });

  it('pad a header to a reserved length, and refuse a length that cannot hold it', () => {
    assert.equal(npyHeader('float16', [2, 3], 128).length, 128);
    assert.match(npyHeader('float16', [2, 3], 128).toString('latin1'), /'shape': \(2, 3\), \} +\n$/);
    assert.throws(() => npyHeader('float16', [2, 3], 32), /cannot hold/);
  });
});

describe('float16 conversion', () => {
  it('is exact for representable values and rounds others to nearest even', () => {
    const values = [0, 1, -2, 0.5, 65504, 1 / 1024, 2 ** -24, 0.1, 1.0009765625, -1e-8, 1e6, Number.NaN];
    const back = Array.from(toFloat16(values), float16BitsToFloat32);
    assert.deepEqual(back.slice(0, 7), [0, 1, -2, 0.5, 65504, 1 / 1024, 2 ** -24]);
    assert.ok(Math.abs((back[7] as number) - 0.1) < 1e-4);
    assert.equal(back[8], 1.0009765625);
    assert.equal(Object.is(back[9], -0), true); // underflow keeps the sign
    assert.equal(back[10], Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(back[11]));
  });

  it('stays within half a unit in the last place over a sweep', () => {
    for (let x = -4; x <= 4; x += 0.0137) {
      const h = float16BitsToFloat32(toFloat16([x])[0] as number);
      assert.ok(Math.abs(h - x) <= Math.max(2 ** -25, Math.abs(x) * 2 ** -11), `${x} → ${h}`);
    }
  });
});

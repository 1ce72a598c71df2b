import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureTensors, makeCheckpoint, writeSafetensors } from '../../test-support/checkpoint-fixtures.js';
import { CheckpointTensors } from './checkpoint-tensors.js';

describe('CheckpointTensors (streaming safetensors reader)', () => {
  const made: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'unmask-st-'));
    made.push(d);
    return d;
  };
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reads a tensor in chunks of the requested size, and the chunks join to the whole tensor', () => {
    const d = dir();
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    writeSafetensors(join(d, 'model.safetensors'), new Map([['w', { dtype: 'F32', shape: [10, 100], data }]]));
    const checkpoint = CheckpointTensors.open(d, { chunkElements: 300 });
    const sizes: number[] = [];
    const joined: number[] = [];
    checkpoint.readFloat32Chunks('w', (chunk) => {
      sizes.push(chunk.length);
      joined.push(...chunk);
    });
    assert.deepEqual(sizes, [300, 300, 300, 100]);
    assert.deepEqual(joined, Array.from(data));
  });

  it('reads a range of elements (rows of a matrix) in chunks, and refuses one outside the tensor', () => {
    const d = dir();
    const data = Float32Array.from({ length: 1000 }, (_, i) => i / 8);
    writeSafetensors(join(d, 'model.safetensors'), new Map([['w', { dtype: 'F32', shape: [10, 100], data }]]));
    const checkpoint = CheckpointTensors.open(d, { chunkElements: 150 });
    const sizes: number[] = [];
    const got: number[] = [];
    checkpoint.readFloat32Range('w', 300, 400, (chunk) => {
      sizes.push(chunk.length);
      got.push(...chunk);
    });
    assert.deepEqual(sizes, [150, 150, 100]);
    assert.deepEqual(got, Array.from(data.subarray(300, 700)), 'rows 3 to 6');
    assert.equal(checkpoint.elements('w'), 1000);
    assert.throws(() => checkpoint.readFloat32Range('w', 900, 101, () => {}), /\[900, 1001\) are not within its 1000/);
    assert.throws(() => checkpoint.readFloat32Range('w', -1, 1, () => {}), RangeError);
  });

  it('hands every chunk in one reused buffer, and a read nested in a chunk callback its own', () => {
    const d = dir();
    const a = Float32Array.from({ length: 700 }, (_, i) => i % 250); // exact in bfloat16
    const b = Float32Array.from({ length: 500 }, (_, i) => -(i % 250));
    writeSafetensors(
      join(d, 'model.safetensors'),
      new Map([
        ['a', { dtype: 'BF16', shape: [700], data: a }],
        ['b', { dtype: 'BF16', shape: [500], data: b }],
      ]),
    );
    const checkpoint = CheckpointTensors.open(d, { chunkElements: 300 });
    const buffers = new Set<ArrayBufferLike>();
    const outer: number[] = [];
    const inner: number[] = [];
    checkpoint.readFloat32Chunks('a', (chunk) => {
      buffers.add(chunk.buffer);
      outer.push(...chunk);
      if (outer.length === 300)
        checkpoint.readFloat32Chunks('b', (nested) => {
          assert.ok(!buffers.has(nested.buffer), 'a nested read does not overwrite the chunk being consumed');
          inner.push(...nested);
        });
      assert.equal(chunk[0], outer[outer.length - chunk.length], 'the chunk is intact after a nested read');
    });
    checkpoint.readFloat32Chunks('b', (chunk) => buffers.add(chunk.buffer));
    assert.equal(buffers.size, 1, 'one buffer for all chunks of both tensors');
    assert.deepEqual(outer, Array.from(a));
    assert.deepEqual(inner, Array.from(b));
  });

  it('converts bfloat16 to float32 exactly (the upper 16 bits of the float)', () => {
    const d = dir();
    const data = Float32Array.from([1, -2.5, 0.15625, 3.0e38, -1e-30, 0]);
    writeSafetensors(join(d, 'model.safetensors'), new Map([['w', { dtype: 'BF16', shape: [6], data }]]));
    const got = CheckpointTensors.open(d, { chunkElements: 4 }).readFloat32('w');
    const truncated = new Float32Array(new Uint32Array(data.buffer).map((w) => w & 0xffff0000).buffer);
    assert.deepEqual(Array.from(got), Array.from(truncated));
    assert.equal(got[0], 1);
    assert.equal(got[1], -2.5);
  });

  it('converts float16, subnormals and infinities included', () => {
    const d = dir();
    const halves = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00, 0x8000]);
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F16', shape: [6], data_offsets: [0, 12] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(join(d, 'model.safetensors'), Buffer.concat([length, header, Buffer.from(halves.buffer)]));
    assert.deepEqual(Array.from(CheckpointTensors.open(d).readFloat32('w')), [1, -2, 0.5, 2 ** -24, Infinity, -0]);
  });

  it('reads a sharded checkpoint through model.safetensors.index.json', () => {
    const d = makeCheckpoint({ shards: 3 });
    made.push(d);
    const checkpoint = CheckpointTensors.open(d);
    const expected = fixtureTensors();
    assert.equal(checkpoint.tensors.size, expected.size);
    assert.equal(new Set([...checkpoint.tensors.values()].map((t) => t.file)).size, 3);
    for (const [name, tensor] of expected) assert.deepEqual(checkpoint.readFloat32(name), tensor.data, name);
  });

  it('names a shard the index lists but the folder lacks, and a tensor the index places in the wrong shard', () => {
    const d = dir();
    writeSafetensors(
      join(d, 'a.safetensors'),
      new Map([['x', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]]),
    );
    writeFileSync(
      join(d, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'b.safetensors' } }),
    );
    assert.throws(() => CheckpointTensors.open(d), /shard "b\.safetensors" does not exist/);
    writeSafetensors(
      join(d, 'b.safetensors'),
      new Map([['z', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]]),
    );
    assert.throws(
      () => CheckpointTensors.open(d),
      /tensor "y" is listed in shard "b\.safetensors" but no shard has it/,
    );
  });

  it('names a tensor whose byte range does not match its shape, and a folder with no weights', () => {
    const d = dir();
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(join(d, 'model.safetensors'), Buffer.concat([length, header, Buffer.alloc(12)]));
    assert.throws(() => CheckpointTensors.open(d), /tensor "w" has 12 bytes, its shape \[4\] needs 16/);
    assert.throws(
      () => CheckpointTensors.open(dir()),
      /the checkpoint has neither model\.safetensors nor model\.safetensors\.index\.json/,
    );
  });
});

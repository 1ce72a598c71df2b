import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCheckpoint } from '@unmask/convert/synthetic-checkpoint';
import { CheckpointTensors } from '@unmask/convert';
import { ggufTensors, permutedRow, writeGguf } from './gguf.js';
import { rowBytes } from './gguf-encoding.js';
import { tinyShape } from './shapes.js';

/** Reads a GGUF's header back: key/values and tensor infos (enough to check what the writer wrote). */
function readGguf(path: string) {
  const b = readFileSync(path);
  let at = 0;
  const u32 = () => ((at += 4), b.readUInt32LE(at - 4));
  const u64 = () => ((at += 8), Number(b.readBigUInt64LE(at - 8)));
  const str = () => {
    const n = u64();
    at += n;
    return b.toString('utf8', at - n, at);
  };
  const value = (type: number): unknown => {
    switch (type) {
      case 4:
        return u32();
      case 5:
        return ((at += 4), b.readInt32LE(at - 4));
      case 6:
        return ((at += 4), b.readFloatLE(at - 4));
      case 7:
        return b[at++] === 1;
      case 8:
        return str();
      case 9: {
        const inner = u32();
        return Array.from({ length: u64() }, () => value(inner));
      }
      default:
        throw new Error(`type ${type}`);
    }
  };
  assert.equal(b.toString('ascii', 0, 4), 'GGUF');
  at = 4;
  assert.equal(u32(), 3);
  const tensorCount = u64();
  const kvCount = u64();
  const kv = new Map<string, unknown>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    kv.set(key, value(u32()));
  }
  const tensors = Array.from({ length: tensorCount }, () => {
    const name = str();
    const dims = Array.from({ length: u32() }, () => u64());
    return { name, dims, type: u32(), offset: u64() };
  });
  const dataStart = Math.ceil(at / 32) * 32;
  return { kv, tensors, dataStart, bytes: b };
}

describe('the GGUF writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-gguf-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('permutes q/k rows from rotate-half to adjacent pairs, head by head', () => {
    // D = 4: new rows (h, 0..3) come from old rows (h, 0, 2, 1, 3).
    assert.deepEqual(
      Array.from({ length: 8 }, (_, r) => permutedRow(r, 8, 2)),
      [0, 2, 1, 3, 4, 6, 5, 7],
    );
  });

  for (const family of ['llada', 'dream'] as const) {
    it(`writes a ${family} checkpoint with llama.cpp's names, shapes, types and aligned data`, () => {
      const shape = tinyShape(family);
      const checkpoint = join(dir, `${family}-checkpoint`);
      writeCheckpoint(checkpoint, shape, 2);
      for (const type of ['F32', 'Q8_0', 'Q4_0'] as const) {
        const path = join(dir, `${family}-${type}.gguf`);
        const written = writeGguf(checkpoint, shape, 2, type, path);
        assert.equal(written.bytes, statSync(path).size);
        const g = readGguf(path);
        assert.equal(g.kv.get('general.architecture'), family);
        assert.equal(g.kv.get(`${family}.block_count`), 2);
        assert.equal(g.kv.get(`${family}.attention.head_count_kv`), shape.kvHeads);
        assert.equal((g.kv.get('tokenizer.ggml.tokens') as string[]).length, shape.vocab);
        const expected = ggufTensors(shape, 2, type);
        assert.deepEqual(
          g.tensors.map((t) => t.name),
          expected.map((t) => t.name),
        );
        g.tensors.forEach((t, i) => {
          assert.deepEqual(t.dims, [...expected[i]!.shape].reverse(), t.name);
          assert.equal(t.offset % 32, 0, `${t.name} is aligned`);
        });
        const head = g.tensors.find((t) => t.name === 'output.weight')!;
        assert.equal(head.type, type === 'F32' ? 0 : 8, 'the head is Q8_0 in a Q4_0 file');
        const last = g.tensors.at(-1)!;
        const lastExpected = expected.at(-1)!;
        assert.equal(
          g.dataStart + last.offset + lastExpected.shape[0]! * rowBytes(lastExpected.type, lastExpected.shape[1]!),
          written.bytes,
        );
        if (type === 'F32') {
          // The F32 data is the checkpoint's values; q rows of LLaDA are permuted, Dream's are not.
          const reader = CheckpointTensors.open(checkpoint);
          const q = g.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!;
          const source =
            family === 'llada' ? 'model.transformer.blocks.0.q_proj.weight' : 'model.layers.0.self_attn.q_proj.weight';
          const width = shape.hidden;
          const rows = shape.heads * shape.headDim;
          for (const r of [0, 1, 2, 65]) {
            const fromFile = new Float32Array(
              g.bytes.buffer.slice(
                g.bytes.byteOffset + g.dataStart + q.offset + r * width * 4,
                g.bytes.byteOffset + g.dataStart + q.offset + (r + 1) * width * 4,
              ),
            );
            const sourceRow = family === 'llada' ? permutedRow(r, rows, shape.heads) : r;
            const sourceValues: number[] = [];
            reader.readFloat32Range(source, sourceRow * width, width, (chunk) => sourceValues.push(...chunk));
            assert.deepEqual(Array.from(fromFile), sourceValues, `row ${r}`);
          }
        }
      }
    });
  }
});

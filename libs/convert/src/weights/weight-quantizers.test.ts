/**
 * The weight quantisers and converters one by one: half-precision rounding, per-row int8,
 * MatMulNBits block packing (checked against onnxruntime's own MatMulNBits kernel, which proves
 * the packed layout and the implied zero point), and streaming through chunks that cut rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool } from '@unmask/core';
import { LLAMA_CHECKPOINT } from '../../test-support/checkpoint-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { float32ToFloat16Bits, toFloat16 } from './fp16.js';
import {
  dequantizeRowNBits,
  fittedBlockSize,
  INT4_BLOCK_SIZE,
  nbitsLayout,
  nbitsQuantized,
  type NBits,
  quantizeRowNBits,
} from './matmul-nbits.js';
import { type InitializerSource, memorySource, OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { int8RowQuantized, int8RowScale, quantizeRowInt8 } from './quantize-int8.js';

function randomRow(length: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.2);
}

function bytesOf(source: InitializerSource): Uint8Array {
  const parts: Uint8Array[] = [];
  source.produce((chunk) => parts.push(chunk.slice()));
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

describe('float32 → float16', () => {
  it('rounds to the nearest half, ties to even, and keeps subnormals, infinities and NaN', () => {
    assert.equal(float32ToFloat16Bits(1), 0x3c00);
    assert.equal(float32ToFloat16Bits(-2), 0xc000);
    assert.equal(float32ToFloat16Bits(65504), 0x7bff, 'the largest half');
    assert.equal(float32ToFloat16Bits(65520), 0x7c00, 'rounds up past the largest half to ∞');
    assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001, 'the smallest subnormal');
    assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000, 'below half the smallest subnormal: zero');
    assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00, 'a tie goes to the even mantissa (down)');
    assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02, 'a tie goes to the even mantissa (up)');
    assert.equal(float32ToFloat16Bits(-Infinity), 0xfc00);
    assert.equal(float32ToFloat16Bits(Number.NaN) & 0x7e00, 0x7e00);
    assert.deepEqual(Array.from(toFloat16(Float32Array.from([0.5, -0.25, 0]))), [0x3800, 0xb400, 0]);
  });
});

describe('per-row int8', () => {
  it('maps each row’s largest magnitude to ±127 and every value within half a step', () => {
    const row = randomRow(300, 1);
    const scale = int8RowScale(row);
    const codes = new Int8Array(row.length);
    quantizeRowInt8(row, scale, codes);
    assert.equal(Math.max(...Array.from(codes, Math.abs)), 127);
    row.forEach((value, i) => assert.ok(Math.abs(codes[i]! * scale - value) <= scale / 2 + 1e-9, `element ${i}`));
  });

  it('streams a checkpoint matrix whose rows straddle the read chunks, giving the same bytes as whole rows', () => {
    const name = 'model.layers.0.mlp.down_proj.weight'; // [64, 160]: 7-element chunks cut every row
    const small = int8RowQuantized(CheckpointTensors.open(LLAMA_CHECKPOINT, { chunkElements: 7 }), name);
    const whole = CheckpointTensors.open(LLAMA_CHECKPOINT);
    const matrix = whole.readFloat32(name);
    const scalesFirst = bytesOf(small.scales); // scales before the weight: a pass of their own
    const expected = new Int8Array(64 * 160);
    const scales = new Float32Array(64);
    for (let r = 0; r < 64; r++) {
      const row = matrix.subarray(r * 160, (r + 1) * 160);
      scales[r] = int8RowScale(row);
      quantizeRowInt8(row, scales[r]!, expected.subarray(r * 160, (r + 1) * 160));
    }
    assert.deepEqual(bytesOf(small.weight), new Uint8Array(expected.buffer));
    assert.deepEqual(scalesFirst, new Uint8Array(scales.buffer));
  });
});

describe('MatMulNBits blocks', () => {
  for (const bits of [4, 8] as const) {
    it(`packs ${bits}-bit blocks that decode within half a step, the largest magnitude of a block exactly`, () => {
      const row = randomRow(80, bits); // 80 = 2½ blocks of 32: the last block is padded
      const layout = nbitsLayout(1, 80, bits, INT4_BLOCK_SIZE);
      const codes = new Uint8Array(layout.blocks * layout.blobSize);
      const scales = new Float32Array(layout.blocks);
      quantizeRowNBits(row, layout, codes, scales);
      const decoded = dequantizeRowNBits(codes, scales, layout);
      row.forEach((value, i) =>
        assert.ok(Math.abs(decoded[i]! - value) <= Math.abs(scales[Math.floor(i / 32)]!) / 2 + 1e-9, `element ${i}`),
      );
      for (let b = 0; b < layout.blocks; b++) {
        const block = Array.from(row.subarray(b * 32, (b + 1) * 32));
        const extreme = block.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
        assert.ok(Math.abs(decoded[block.indexOf(extreme) + b * 32]! - extreme) < 1e-7);
      }
    });
  }

  for (const bits of [4, 8] as const) {
    it(`gives each ${bits}-bit code by its definition, edge values and a padded block included`, () => {
      // code = clamp(round(value · (1 / scale)) + zero, 0, 2^bits − 1); scale = the block's first
      // value of largest magnitude / −zero (1 for an all-zero block); padding quantises a zero; NaN → 0.
      const zero = 1 << (bits - 1);
      const top = (1 << bits) - 1;
      const edges = [0, -0, 0.5, -0.5, 1.5, -2.5, Number.NaN, 1e-45, -1e-44, 3.4e38, -3.4e38, 7, -8];
      const rows = [
        randomRow(200, 11 + bits),
        Float32Array.from({ length: 200 }, (_, i) => edges[i % edges.length]! * (i % 3 === 0 ? 1 : 0.25)),
        Float32Array.from({ length: 200 }, (_, i) => (i < 160 ? 0 : 1e-45 * i)), // zero blocks, subnormal extremes
      ];
      const layout = nbitsLayout(1, 200, bits, 32); // 6¼ blocks of 32: the last is padded
      for (const [r, row] of rows.entries()) {
        const codes = new Uint8Array(layout.blocks * layout.blobSize);
        const scales = new Float32Array(layout.blocks);
        quantizeRowNBits(row, layout, codes, scales);
        for (let b = 0; b < layout.blocks; b++) {
          const block = Array.from({ length: 32 }, (_, i) => (b * 32 + i < 200 ? row[b * 32 + i]! : undefined));
          const extreme = block.reduce<number>((m, v) => (v !== undefined && Math.abs(v) > Math.abs(m) ? v : m), 0);
          const scale = Math.fround(extreme === 0 ? 1 : extreme / -zero);
          assert.ok(Object.is(scales[b], scale), `row ${r} block ${b}: scale ${scales[b]} vs ${scale}`);
          const inverse = 1 / (extreme === 0 ? 1 : extreme / -zero);
          block.forEach((v, i) => {
            const code = Math.min(top, Math.max(0, Math.round((v ?? 0) * inverse) + zero));
            const want = Number.isNaN(code) ? 0 : code;
            const byte = codes[b * layout.blobSize + (bits === 8 ? i : i >> 1)]!;
            const got = bits === 8 ? byte : (i & 1) === 0 ? byte & 0x0f : byte >> 4;
            assert.equal(got, want, `row ${r} block ${b} element ${i} (${v})`);
          });
        }
      }
    });
  }

  it('fits the block to the row: the largest of 128, 64, 32 dividing K, else the least padding', () => {
    assert.equal(fittedBlockSize(4096, 128), 128);
    assert.equal(fittedBlockSize(18944, 128), 128);
    assert.equal(fittedBlockSize(64, 128), 64);
    assert.equal(fittedBlockSize(160, 128), 32);
    assert.equal(fittedBlockSize(80, 128), 32);
    assert.equal(fittedBlockSize(80, 32), 32);
    assert.equal(fittedBlockSize(192, 64), 64);
  });

  it('puts element 2j in the low nibble and 2j + 1 in the high nibble of byte j', () => {
    const row = new Float32Array(32);
    row[0] = -8; // the extreme: scale 1, code 0
    row[1] = 7; // code 15
    row[2] = 1; // code 9
    const layout = nbitsLayout(1, 32, 4, 32);
    const codes = new Uint8Array(16);
    const scales = new Float32Array(1);
    quantizeRowNBits(row, layout, codes, scales);
    assert.equal(scales[0], 1);
    assert.equal(codes[0], 0xf0);
    assert.equal(codes[1], 0x89);
    assert.equal(codes[2], 0x88, 'zeros sit at the implied zero point 8');
  });

  describe('through onnxruntime’s MatMulNBits kernel', () => {
    let pool: OnnxWorkerPool;
    let dir: string;
    before(() => {
      pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
      dir = mkdtempSync(join(tmpdir(), 'unmask-nbits-'));
    });
    after(async () => {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const bits of [4, 8] as NBits[]) {
      it(`computes x · dequant(B)ᵀ from the ${bits}-bit packing (K = 160, not a power of two; N = 64)`, async () => {
        const name = 'model.layers.0.mlp.down_proj.weight';
        const checkpoint = CheckpointTensors.open(LLAMA_CHECKPOINT, { chunkElements: 1000 });
        const matrix = nbitsQuantized(checkpoint, name, bits, INT4_BLOCK_SIZE);
        const { k, n, blocks, blobSize } = matrix.layout;
        const codes = bytesOf(matrix.weight);
        const scales = new Float32Array(bytesOf(matrix.scales).buffer);
        const g = new OnnxGraphBuilder('nbits');
        const x = g.input('x', 'FLOAT', [2, k]);
        const b = g.initializer('b', memorySource('UINT8', [n, blocks, blobSize], codes));
        const y = g.domainOp('com.microsoft', 1, 'MatMulNBits', [x, b, g.floats('scales', scales, [n, blocks])], {
          K: k,
          N: n,
          bits,
          block_size: 32,
          accuracy_level: 0,
        });
        g.output(g.op('Identity', [y], {}, 'y'), 'FLOAT', [2, n]);
        const path = join(dir, `nbits${bits}.onnx`);
        g.write(path);
        const input = Float32Array.from({ length: 2 * k }, (_, i) => Math.sin(i));
        const session = await pool.createSession(path);
        const out = (await session.run({ x: { type: 'float32', dims: [2, k], data: input } })).y!.data as Float32Array;
        await session.release();
        const weights = checkpoint.readFloat32(name);
        let worst = 0;
        let quantisation = 0;
        for (let r = 0; r < n; r++) {
          const dequantized = dequantizeRowNBits(
            codes.subarray(r * blocks * blobSize, (r + 1) * blocks * blobSize),
            scales.subarray(r * blocks, (r + 1) * blocks),
            matrix.layout,
          );
          for (let m = 0; m < 2; m++) {
            let expected = 0;
            let exact = 0;
            for (let i = 0; i < k; i++) {
              expected += input[m * k + i]! * dequantized[i]!;
              exact += input[m * k + i]! * weights[r * k + i]!;
            }
            worst = Math.max(worst, Math.abs(out[m * n + r]! - expected));
            quantisation = Math.max(quantisation, Math.abs(expected - exact));
          }
        }
        assert.ok(worst < 1e-4, `onnxruntime differs from the JS dequantisation by ${worst}`);
        assert.ok(quantisation > 10 * worst, 'the check can tell the quantised weights from the originals');
      });
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patchifyFrame } from './patchify.js';

/**
 * The reference layout, written the way transformers writes it: stack T copies of the frame,
 * view as [1, T, C, gh/m, m, p, gw/m, m, p], permute to (0, 3, 6, 4, 7, 2, 1, 5, 8), flatten.
 */
function referencePatchify(
  frame: Float32Array,
  c: number,
  h: number,
  w: number,
  p: number,
  m: number,
  t: number,
): Float32Array {
  const shape = [1, t, c, h / p / m, m, p, w / p / m, m, p];
  const order = [0, 3, 6, 4, 7, 2, 1, 5, 8];
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const video = new Float32Array(s);
  for (let k = 0; k < t; k++) video.set(frame, k * frame.length);
  const outShape = order.map((i) => shape[i]!);
  const out = new Float32Array(s);
  const index = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < s; o++) {
    let src = 0;
    for (let d = 0; d < order.length; d++) src += index[d]! * strides[order[d]!]!;
    out[o] = video[src]!;
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

describe('patchifyFrame', () => {
  it('matches the reshape/permute layout of transformers (patch 2, merge 2, temporal 2, 3×8×12)', () => {
    const [c, h, w] = [3, 8, 12];
    const frame = Float32Array.from({ length: c * h * w }, (_, i) => i);
    const out = patchifyFrame(frame, h, w, { patchSize: 2, mergeSize: 2, temporalPatchSize: 2 });
    assert.deepEqual(out.gridThw, [1, 4, 6]);
    assert.equal(out.rows, 24);
    assert.equal(out.rowLength, 3 * 2 * 2 * 2);
    assert.deepEqual(out.data, referencePatchify(frame, c, h, w, 2, 2, 2));
  });

  it('puts the 2×2 patches a merger fuses in consecutive rows', () => {
    // Patch 1, so each patch is one pixel; pixel value = x + 100·y (channel 0).
    const [h, w] = [4, 4];
    const frame = new Float32Array(3 * h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) frame[y * w + x] = x + 100 * y;
    const out = patchifyFrame(frame, h, w, { patchSize: 1, mergeSize: 2, temporalPatchSize: 1 });
    const firstChannel = Array.from({ length: out.rows }, (_, r) => out.data[r * out.rowLength]);
    assert.deepEqual(firstChannel, [0, 1, 100, 101, 2, 3, 102, 103, 200, 201, 300, 301, 202, 203, 302, 303]);
  });

  it('refuses sides that are not multiples of patch × merge', () => {
    assert.throws(
      () => patchifyFrame(new Float32Array(3 * 28 * 30), 28, 30, { patchSize: 14, mergeSize: 2, temporalPatchSize: 2 }),
      /30×28 is not a multiple of patch_size × merge_size = 28/,
    );
  });
});

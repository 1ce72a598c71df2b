import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { decodeImage } from './decode-image.js';
import { resizeRgb, type ResampleFilter } from './resample.js';
import { makeImage, readBytes, readSafetensors } from './test-support/fixtures.js';

// Reference outputs of Pillow 9.4's Image.resize and torch 1.13's nearest-exact interpolate on the
// fixture PNGs (test-fixtures/pil/make-resize-reference.py).
const reference = readSafetensors('pil/resize-reference.safetensors.gz');

function countDifferent(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('resizeRgb', () => {
  describe("with 'pillow' arithmetic", () => {
    const cases: [string, ResampleFilter, string][] = [
      ['bicubic_64x64', 'bicubic', 'hf/siglip/input.png'],
      ['bilinear_50x37', 'bilinear', 'hf/siglip/input.png'],
      ['lanczos_61x45', 'lanczos', 'hf/siglip/input.png'],
      ['box_33x20', 'box', 'hf/siglip/input.png'],
      ['hamming_70x90', 'hamming', 'hf/siglip/input.png'],
      ['nearest_47x31', 'nearest', 'hf/siglip/input.png'],
      ['nearest_up_90x333', 'nearest', 'hf/qwen2vl/input2.png'],
      ['bilinear_up_41x97', 'bilinear', 'hf/qwen2vl/input2.png'],
      ['bicubic_up_28x308', 'bicubic', 'hf/qwen2vl/input2.png'],
      ['bicubic_up_300x250', 'bicubic', 'hf/siglip/input.png'],
    ];
    for (const [name, filter, source] of cases) {
      it(`reproduces Pillow's Image.resize byte for byte: ${name}`, async () => {
        const expected = reference.get(name)!;
        const [height, width] = expected.shape as [number, number];
        const out = resizeRgb(await decodeImage(readBytes(source)), width, height, { filter, arithmetic: 'pillow' });
        assert.deepEqual([out.width, out.height], [width, height]);
        assert.equal(countDifferent(out.data, expected.bytes), 0);
      });
    }
  });

  describe("with 'torchvision' arithmetic", () => {
    for (const name of ['torch_nearest_exact_47x31', 'torch_nearest_exact_up_90x333']) {
      it(`reproduces torch's nearest-exact interpolation: ${name}`, async () => {
        const expected = reference.get(name)!;
        const [height, width] = expected.shape as [number, number];
        const source = name.includes('_up_') ? 'hf/qwen2vl/input2.png' : 'hf/siglip/input.png';
        const out = resizeRgb(await decodeImage(readBytes(source)), width, height, { filter: 'nearest' });
        assert.equal(countDifferent(out.data, expected.bytes), 0);
      });
    }

    it('differs from Pillow only by the odd level, through weight quantisation', async () => {
      const image = await decodeImage(readBytes('hf/siglip/input.png'));
      const a = resizeRgb(image, 64, 64, { filter: 'bicubic', arithmetic: 'torchvision' });
      const b = resizeRgb(image, 64, 64, { filter: 'bicubic', arithmetic: 'pillow' });
      let max = 0;
      for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
      assert.ok(max <= 2, `max ${max}`);
      assert.ok(countDifferent(a.data, b.data) < a.data.length / 50);
    });

    it('has no antialiased kernel for lanczos, box or hamming', () => {
      const image = makeImage(4, 4, () => [1, 2, 3]);
      assert.throws(
        () => resizeRgb(image, 2, 2, { filter: 'lanczos' }),
        (e: unknown) =>
          isUnmaskError(e, 'invalid_parameter') && /resample 'lanczos' has no torchvision/.test(e.message),
      );
    });
  });

  it('keeps a flat colour flat under every filter, shrinking and enlarging', () => {
    const flat = makeImage(37, 23, () => [17, 128, 250]);
    for (const arithmetic of ['pillow', 'torchvision'] as const) {
      for (const filter of ['nearest', 'bilinear', 'bicubic', 'lanczos', 'box', 'hamming'] as const) {
        if (arithmetic === 'torchvision' && !['nearest', 'bilinear', 'bicubic'].includes(filter)) continue;
        for (const [w, h] of [
          [10, 7],
          [80, 51],
        ] as const) {
          const out = resizeRgb(flat, w, h, { filter, arithmetic });
          for (let i = 0; i < out.data.length; i += 3) {
            assert.deepEqual(
              [out.data[i], out.data[i + 1], out.data[i + 2]],
              [17, 128, 250],
              `${arithmetic} ${filter} ${w}×${h}`,
            );
          }
        }
      }
    }
  });

  it('averages 2×2 blocks when halving with the box filter', () => {
    const image = makeImage(4, 2, (x, y) => [x * 10 + y * 2, 0, 255]);
    const out = resizeRgb(image, 2, 1, { filter: 'box', arithmetic: 'pillow' });
    // Block means: (0+10+2+12)/4 = 6, (20+30+22+32)/4 = 26.
    assert.deepEqual([...out.data], [6, 0, 255, 26, 0, 255]);
  });

  it('returns an equal copy when the size does not change', () => {
    const image = makeImage(5, 3, (x, y) => [x, y, x + y]);
    const out = resizeRgb(image, 5, 3, { filter: 'bicubic' });
    assert.deepEqual(out.data, image.data);
    assert.notEqual(out.data, image.data);
  });

  it('refuses a non-positive target size', () => {
    assert.throws(
      () =>
        resizeRgb(
          makeImage(2, 2, () => [0, 0, 0]),
          0,
          2,
          { filter: 'bilinear' },
        ),
      /resize target must be positive integers, got 0×2/,
    );
  });
});

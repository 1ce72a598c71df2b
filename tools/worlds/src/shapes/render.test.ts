import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { rasterisePixels, renderRaster } from './render-raster.js';
import { renderSvg, renderSvgPixels, sceneToSvg } from './render-svg.js';
import type { Scene } from './scene.js';

const scene: Scene = {
  width: 240,
  height: 180,
  background: [245, 240, 220],
  noise: 0,
  noiseSeed: 1,
  objects: [
    { shape: 'triangle', color: 'blue', rgb: [40, 90, 220], row: 'top', column: 'left', cx: 40, cy: 30, size: 40 },
    { shape: 'star', color: 'red', rgb: [220, 40, 40], row: 'middle', column: 'center', cx: 120, cy: 90, size: 50 },
    {
      shape: 'diamond',
      color: 'green',
      rgb: [40, 165, 70],
      row: 'bottom',
      column: 'right',
      cx: 200,
      cy: 150,
      size: 40,
    },
    { shape: 'circle', color: 'black', rgb: [25, 25, 25], row: 'top', column: 'right', cx: 200, cy: 30, size: 40 },
  ],
};

function pixel(buf: Buffer, width: number, x: number, y: number): number[] {
  const p = (Math.round(y) * width + Math.round(x)) * 3;
  return [buf[p]!, buf[p + 1]!, buf[p + 2]!];
}

const renderers = [
  ['the SVG renderer', renderSvgPixels] as const,
  ['the raster renderer', async (s: Scene) => rasterisePixels(s)] as const,
];

for (const [name, render] of renderers) {
  describe(name, () => {
    it('paints the background and each object’s centre in its colour', async () => {
      const px = await render(scene);
      assert.equal(px.length, scene.width * scene.height * 3);
      assert.deepEqual(pixel(px, scene.width, 2, 178), [245, 240, 220]);
      for (const o of scene.objects) assert.deepEqual(pixel(px, scene.width, o.cx, o.cy + 2), [...o.rgb], o.shape);
    });

    it('draws the triangle apex up, the diamond as a rotated square, and a five-pointed star', async () => {
      const px = await render(scene);
      const w = scene.width;
      // Triangle (centre 40,30, side 40): near the apex only the middle is filled; the base spans the width.
      assert.deepEqual(pixel(px, w, 40, 14), [40, 90, 220]);
      assert.deepEqual(pixel(px, w, 26, 14), [245, 240, 220]);
      assert.deepEqual(pixel(px, w, 24, 48), [40, 90, 220]);
      // Diamond (centre 200,150, side 40): corners of the bounding box are empty, the tips are filled.
      assert.deepEqual(pixel(px, w, 184, 134), [245, 240, 220]);
      assert.deepEqual(pixel(px, w, 200, 133), [40, 165, 70]);
      assert.deepEqual(pixel(px, w, 183, 150), [40, 165, 70]);
      // Star (centre 120,90, width 50, so its tip is at y ≈ 66): the top point is filled, the notches beside it are not.
      assert.deepEqual(pixel(px, w, 120, 75), [220, 40, 40]);
      assert.deepEqual(pixel(px, w, 110, 75), [245, 240, 220]);
      assert.deepEqual(pixel(px, w, 130, 75), [245, 240, 220]);
      // Circle: the bounding-box corner is outside.
      assert.deepEqual(pixel(px, w, 182, 12), [245, 240, 220]);
    });

    it('adds bounded uniform noise when the scene asks for it', async () => {
      const px = await render({ ...scene, noise: 12, noiseSeed: 77 });
      const bg = pixel(px, scene.width, 2, 178);
      const clean = [245, 240, 220];
      assert.ok(bg.every((c, i) => Math.abs(c - clean[i]!) <= 12));
      let differs = 0;
      for (let x = 0; x < 20; x++) if (pixel(px, scene.width, x, 178)[2] !== 220) differs++;
      assert.ok(differs > 10);
    });
  });
}

describe('image encoding', () => {
  it('writes PNG, JPEG and WebP files of the scene’s size', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      for (const encoded of [
        await renderSvg(scene, { format, quality: 80 }),
        await renderRaster(scene, { format, quality: 80 }),
      ]) {
        const meta = await sharp(encoded).metadata();
        assert.equal(meta.format, format);
        assert.equal(meta.width, 240);
        assert.equal(meta.height, 180);
      }
    }
  });

  it('emits an SVG with one element per object plus the background', () => {
    const svg = sceneToSvg(scene);
    assert.equal((svg.match(/<(circle|polygon)/g) ?? []).length, 4);
    assert.match(svg, /fill="#f5f0dc"/);
  });
});

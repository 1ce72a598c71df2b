import { insidePolygon, shapePolygon, type Point } from './geometry.js';
import { addUniformNoise } from './noise.js';
import { encodeRgb, type EncodeOptions } from './render-svg.js';
import type { Scene, SceneObject } from './scene.js';

/**
 * A second, independent renderer: direct pixel rasterisation with n × n supersampling per pixel
 * (coverage-weighted blending), no SVG involved. Used for evaluation sets so that a model that
 * learned the SVG renderer's antialiasing alone is caught.
 */
export function rasterisePixels(scene: Scene, supersample = 3): Buffer {
  const { width, height } = scene;
  const out = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(scene.background, i * 3);
  const n = Math.max(1, Math.floor(supersample));
  for (const o of scene.objects) {
    const inside = insideTest(o);
    const x0 = Math.max(0, Math.floor(o.cx - o.size / 2) - 1);
    const x1 = Math.min(width - 1, Math.ceil(o.cx + o.size / 2) + 1);
    const y0 = Math.max(0, Math.floor(o.cy - o.size / 2) - 1);
    const y1 = Math.min(height - 1, Math.ceil(o.cy + o.size / 2) + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        let hits = 0;
        for (let sy = 0; sy < n; sy++) {
          for (let sx = 0; sx < n; sx++) {
            if (inside(x + (sx + 0.5) / n, y + (sy + 0.5) / n)) hits++;
          }
        }
        if (hits === 0) continue;
        const a = hits / (n * n);
        const p = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          out[p + c] = Math.round((out[p + c] as number) * (1 - a) + (o.rgb[c] as number) * a);
        }
      }
    }
  }
  addUniformNoise(out, 3, scene.noise, scene.noiseSeed ^ 0x5bd1e995);
  return out;
}

function insideTest(o: SceneObject): (x: number, y: number) => boolean {
  if (o.shape === 'circle') {
    const r2 = (o.size / 2) ** 2;
    return (x, y) => (x - o.cx) ** 2 + (y - o.cy) ** 2 <= r2;
  }
  const poly: Point[] = shapePolygon(o);
  return (x, y) => insidePolygon(x, y, poly);
}

/** The scene rasterised directly and encoded as PNG, JPEG or WebP. */
export async function renderRaster(
  scene: Scene,
  options: EncodeOptions = { format: 'png' },
  supersample = 3,
): Promise<Buffer> {
  return encodeRgb(rasterisePixels(scene, supersample), scene.width, scene.height, options);
}

import type { SceneObject } from './scene.js';

export type Point = readonly [number, number];

/** Inner/outer radius ratio of a regular five-pointed star (pentagram outline). */
const STAR_INNER = Math.sin(Math.PI / 10) / Math.sin((7 * Math.PI) / 10);

/** The ten vertices of a five-pointed star, point up, scaled so its bounding box's longer side is `size` and centred on (cx, cy). */
export function starPolygon(cx: number, cy: number, size: number): Point[] {
  const raw: Point[] = [];
  for (let k = 0; k < 10; k++) {
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    const r = k % 2 === 0 ? 1 : STAR_INNER;
    raw.push([r * Math.cos(angle), r * Math.sin(angle)]);
  }
  const xs = raw.map((p) => p[0]);
  const ys = raw.map((p) => p[1]);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const scale = size / Math.max(maxX - minX, maxY - minY);
  const midX = (minX + maxX) / 2;
  const midY = (minY + maxY) / 2;
  return raw.map(([x, y]) => [cx + (x - midX) * scale, cy + (y - midY) * scale] as const);
}

/** The outline of a polygonal shape (everything but the circle), filling its square bounding box. */
export function shapePolygon(o: Pick<SceneObject, 'shape' | 'cx' | 'cy' | 'size'>): Point[] {
  const h = o.size / 2;
  switch (o.shape) {
    case 'square':
      return [
        [o.cx - h, o.cy - h],
        [o.cx + h, o.cy - h],
        [o.cx + h, o.cy + h],
        [o.cx - h, o.cy + h],
      ];
    case 'triangle':
      return [
        [o.cx, o.cy - h],
        [o.cx + h, o.cy + h],
        [o.cx - h, o.cy + h],
      ];
    case 'diamond':
      return [
        [o.cx, o.cy - h],
        [o.cx + h, o.cy],
        [o.cx, o.cy + h],
        [o.cx - h, o.cy],
      ];
    case 'star':
      return starPolygon(o.cx, o.cy, o.size);
    case 'circle':
      throw new Error('shapePolygon: a circle has no polygon outline');
  }
}

/** Even–odd point-in-polygon test. */
export function insidePolygon(x: number, y: number, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] as Point;
    const [xj, yj] = poly[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

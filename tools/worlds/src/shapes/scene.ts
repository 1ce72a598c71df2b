import { z } from 'zod';
import type { Rng } from '../rng.js';
import {
  COLOR_JITTER,
  COLOR_RGB,
  COLORS,
  COLUMNS,
  MAX_ASPECT,
  MAX_IMAGE_SIDE,
  MAX_NOISE,
  MAX_OBJECTS,
  MAX_SIZE_FRACTION,
  MIN_ASPECT,
  MIN_BACKGROUND,
  MIN_IMAGE_SIDE,
  MIN_OBJECTS,
  MIN_SIZE_FRACTION,
  ROWS,
  SHAPES,
} from './spec.js';

const rgb = z.tuple([
  z.number().int().min(0).max(255),
  z.number().int().min(0).max(255),
  z.number().int().min(0).max(255),
]);

export const sceneObjectSchema = z.object({
  shape: z.enum(SHAPES),
  color: z.enum(COLORS),
  rgb,
  row: z.enum(ROWS),
  column: z.enum(COLUMNS),
  /** Centre of the bounding box, in pixels. */
  cx: z.number(),
  cy: z.number(),
  /** Side of the (square) bounding box, in pixels. */
  size: z.number().positive(),
});
export type SceneObject = z.infer<typeof sceneObjectSchema>;

export const sceneSchema = z.object({
  width: z.number().int().min(MIN_IMAGE_SIDE).max(MAX_IMAGE_SIDE),
  height: z.number().int().min(MIN_IMAGE_SIDE).max(MAX_IMAGE_SIDE),
  background: rgb,
  /** Uniform pixel noise amplitude per channel (0 = none). */
  noise: z.number().int().min(0).max(MAX_NOISE),
  /** Seed for the pixel noise, so renders are reproducible. */
  noiseSeed: z.number().int().min(0),
  objects: z.array(sceneObjectSchema).min(MIN_OBJECTS).max(MAX_OBJECTS),
});
export type Scene = z.infer<typeof sceneSchema>;

export interface SceneOptions {
  /** Fix the image size instead of sampling it. */
  width?: number;
  height?: number;
  /** Fix the number of objects (1–4). */
  objectCount?: number;
  /** Probability that pixel noise is added (default 0.3). */
  noiseProbability?: number;
}

const NAMED_BACKGROUNDS: readonly (readonly [number, number, number])[] = [
  [255, 255, 255], // white
  [235, 235, 235], // light grey
  [245, 240, 220], // beige
  [220, 235, 250], // pale blue
];

function jitter(rng: Rng, value: number): number {
  return Math.max(0, Math.min(255, value + rng.int(-COLOR_JITTER, COLOR_JITTER)));
}

function sampleSize(rng: Rng, options: SceneOptions): { width: number; height: number } {
  if (options.width !== undefined && options.height !== undefined)
    return { width: options.width, height: options.height };
  for (;;) {
    const width = rng.int(MIN_IMAGE_SIDE, MAX_IMAGE_SIDE);
    // Half of the images square, the rest with a random allowed aspect ratio.
    const aspect = rng.bool(0.5) ? 1 : rng.uniform(MIN_ASPECT, MAX_ASPECT);
    const height = Math.round(width / aspect);
    if (
      height >= MIN_IMAGE_SIDE &&
      height <= MAX_IMAGE_SIDE &&
      width / height >= MIN_ASPECT &&
      width / height <= MAX_ASPECT
    ) {
      return { width, height };
    }
  }
}

function overlaps(a: SceneObject, b: SceneObject): boolean {
  const half = (a.size + b.size) / 2;
  return Math.abs(a.cx - b.cx) < half && Math.abs(a.cy - b.cy) < half;
}

/**
 * A random scene inside the spec: 1–4 objects of distinct shapes, each in its own cell of the
 * 3 × 3 grid with its centre in the middle 50% of the cell, inside the image, with
 * non-overlapping bounding boxes of 15–30% of the shorter side.
 */
export function sampleScene(rng: Rng, options: SceneOptions = {}): Scene {
  const { width, height } = sampleSize(rng, options);
  const shorter = Math.min(width, height);
  const count = options.objectCount ?? rng.int(MIN_OBJECTS, MAX_OBJECTS);
  if (count < MIN_OBJECTS || count > MAX_OBJECTS) throw new RangeError(`objectCount must be 1–4, got ${count}`);
  const background: [number, number, number] = rng.bool(0.5)
    ? ([...rng.pick(NAMED_BACKGROUNDS)] as [number, number, number])
    : [rng.int(MIN_BACKGROUND, 255), rng.int(MIN_BACKGROUND, 255), rng.int(MIN_BACKGROUND, 255)];
  const noise = rng.bool(options.noiseProbability ?? 0.3) ? rng.int(1, MAX_NOISE) : 0;

  for (;;) {
    const shapes = rng.sample(SHAPES, count);
    const cells = rng.sample([0, 1, 2, 3, 4, 5, 6, 7, 8], count);
    const objects: SceneObject[] = [];
    for (let i = 0; i < count; i++) {
      const cell = cells[i] as number;
      const row = Math.floor(cell / 3);
      const col = cell % 3;
      const cellW = width / 3;
      const cellH = height / 3;
      const color = rng.pick(COLORS);
      const base = COLOR_RGB[color];
      let placed: SceneObject | undefined;
      for (let attempt = 0; attempt < 50 && !placed; attempt++) {
        const size = rng.uniform(MIN_SIZE_FRACTION, MAX_SIZE_FRACTION) * shorter;
        const cx = col * cellW + rng.uniform(0.25, 0.75) * cellW;
        const cy = row * cellH + rng.uniform(0.25, 0.75) * cellH;
        const candidate: SceneObject = {
          shape: shapes[i] as SceneObject['shape'],
          color,
          rgb: [jitter(rng, base[0]), jitter(rng, base[1]), jitter(rng, base[2])],
          row: ROWS[row] as SceneObject['row'],
          column: COLUMNS[col] as SceneObject['column'],
          cx,
          cy,
          size,
        };
        const inside = cx - size / 2 >= 0 && cy - size / 2 >= 0 && cx + size / 2 <= width && cy + size / 2 <= height;
        if (inside && objects.every((o) => !overlaps(o, candidate))) placed = candidate;
      }
      if (!placed) break;
      objects.push(placed);
    }
    if (objects.length === count) {
      return { width, height, background, noise, noiseSeed: rng.uint32() & 0x7fffffff, objects };
    }
  }
}

/** Index 0–8 of an object's grid cell in reading order. */
export function cellIndex(object: Pick<SceneObject, 'row' | 'column'>): number {
  return ROWS.indexOf(object.row) * 3 + COLUMNS.indexOf(object.column);
}

/** The scene's objects in reading order (by row, then column). */
export function readingOrder(scene: Scene): SceneObject[] {
  return scene.objects.slice().sort((a, b) => cellIndex(a) - cellIndex(b));
}

/** Checks every rule of the spec; returns the list of violations (empty when valid). */
export function sceneViolations(scene: Scene): string[] {
  const problems: string[] = [];
  const parsed = sceneSchema.safeParse(scene);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const aspect = scene.width / scene.height;
  if (aspect < MIN_ASPECT - 1e-9 || aspect > MAX_ASPECT + 1e-9)
    problems.push(`aspect ratio ${aspect.toFixed(3)} outside 3:4–4:3`);
  if (scene.background.some((c) => c < MIN_BACKGROUND)) problems.push('background channel below 200');
  const shorter = Math.min(scene.width, scene.height);
  const shapes = new Set(scene.objects.map((o) => o.shape));
  if (shapes.size !== scene.objects.length) problems.push('a shape type appears twice');
  const cells = new Set(scene.objects.map(cellIndex));
  if (cells.size !== scene.objects.length) problems.push('two objects share a cell');
  scene.objects.forEach((o, i) => {
    const frac = o.size / shorter;
    if (frac < MIN_SIZE_FRACTION - 1e-9 || frac > MAX_SIZE_FRACTION + 1e-9)
      problems.push(`object ${i}: size ${frac.toFixed(3)} of the shorter side`);
    const base = COLOR_RGB[o.color];
    if (o.rgb.some((c, k) => Math.abs(c - (base[k] as number)) > COLOR_JITTER))
      problems.push(`object ${i}: rgb too far from ${o.color}`);
    const cellW = scene.width / 3;
    const cellH = scene.height / 3;
    const col = COLUMNS.indexOf(o.column);
    const row = ROWS.indexOf(o.row);
    const fx = (o.cx - col * cellW) / cellW;
    const fy = (o.cy - row * cellH) / cellH;
    if (fx < 0.25 || fx > 0.75 || fy < 0.25 || fy > 0.75)
      problems.push(`object ${i}: centre outside the middle 50% of its cell`);
    if (
      o.cx - o.size / 2 < 0 ||
      o.cy - o.size / 2 < 0 ||
      o.cx + o.size / 2 > scene.width ||
      o.cy + o.size / 2 > scene.height
    ) {
      problems.push(`object ${i}: outside the image`);
    }
    scene.objects.forEach((p, j) => {
      if (j > i && overlaps(o, p)) problems.push(`objects ${i} and ${j} overlap`);
    });
  });
  return problems;
}

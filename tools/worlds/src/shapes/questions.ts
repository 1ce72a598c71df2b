import type { Rng } from '../rng.js';
import { readingOrder, type Scene } from './scene.js';
import { COLORS, SHAPES, type Color, type Shape } from './spec.js';

/** Every kind of world-1 question, named for what it asks. */
export const SHAPE_QUESTION_TYPES = [
  'color_of_shape',
  'shape_of_color',
  'count_all',
  'count_color',
  'exists',
  'where',
  'describe',
] as const;
export type ShapeQuestionType = (typeof SHAPE_QUESTION_TYPES)[number];

export type ShapeQuestion =
  | { type: 'color_of_shape'; shape: Shape }
  | { type: 'shape_of_color'; color: Color }
  | { type: 'count_all'; wording: 0 | 1 }
  | { type: 'count_color'; color: Color }
  /** `color` null: `is there a {shape}` (the project's addition, docs/worlds.md part 2). */
  | { type: 'exists'; color: Color | null; shape: Shape }
  | { type: 'where'; shape: Shape }
  | { type: 'describe' };

/** The prompt text of a question, exactly as the spec words it (no trailing punctuation). */
export function questionText(q: ShapeQuestion): string {
  switch (q.type) {
    case 'color_of_shape':
      return `what color is the ${q.shape}`;
    case 'shape_of_color':
      return `what shape is the ${q.color} object`;
    case 'count_all':
      return q.wording === 0 ? 'how many shapes are there' : 'how many objects are in the image';
    case 'count_color':
      return `how many ${q.color} shapes are there`;
    case 'exists':
      return q.color === null ? `is there a ${q.shape}` : `is there a ${q.color} ${q.shape}`;
    case 'where':
      return `where is the ${q.shape}`;
    case 'describe':
      return 'describe the image';
  }
}

/** "a" or "an" before a word. */
export function article(word: string): 'a' | 'an' {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** The `describe the image` answer: objects in reading order joined by ", ". */
export function describeScene(scene: Scene): string {
  return readingOrder(scene)
    .map((o) => `${article(o.color)} ${o.color} ${o.shape} at the ${o.row} ${o.column}`)
    .join(', ');
}

/**
 * The answer to a question about a scene, including the failed-premise answers. A colour
 * question about a colour no object has is answered `there is no {color} object` (the spec
 * names only the absent shape and the non-unique colour; this third case is the project's).
 */
export function answerQuestion(scene: Scene, q: ShapeQuestion): string {
  const byShape = (shape: Shape) => scene.objects.find((o) => o.shape === shape);
  switch (q.type) {
    case 'color_of_shape': {
      const o = byShape(q.shape);
      return o ? o.color : `there is no ${q.shape}`;
    }
    case 'shape_of_color': {
      const matches = scene.objects.filter((o) => o.color === q.color);
      if (matches.length === 0) return `there is no ${q.color} object`;
      if (matches.length > 1) return `there is more than one ${q.color} object`;
      return (matches[0] as (typeof matches)[number]).shape;
    }
    case 'count_all':
      return String(scene.objects.length);
    case 'count_color':
      return String(scene.objects.filter((o) => o.color === q.color).length);
    case 'exists':
      return scene.objects.some((o) => (q.color === null || o.color === q.color) && o.shape === q.shape) ? 'yes' : 'no';
    case 'where': {
      const o = byShape(q.shape);
      return o ? `${o.row} ${o.column}` : `there is no ${q.shape}`;
    }
    case 'describe':
      return describeScene(scene);
  }
}

/**
 * A random question of the given type about the scene, balanced between premises that hold and
 * premises that fail, and between yes and no.
 */
export function sampleQuestion(rng: Rng, scene: Scene, type: ShapeQuestionType): ShapeQuestion {
  const present = scene.objects.map((o) => o.shape);
  const absent = SHAPES.filter((s) => !present.includes(s));
  switch (type) {
    case 'color_of_shape':
    case 'where': {
      const shape = absent.length > 0 && rng.bool(0.2) ? rng.pick(absent) : rng.pick(present);
      return { type, shape };
    }
    case 'shape_of_color': {
      const counts = new Map<Color, number>();
      for (const o of scene.objects) counts.set(o.color, (counts.get(o.color) ?? 0) + 1);
      const unique = COLORS.filter((c) => counts.get(c) === 1);
      const repeated = COLORS.filter((c) => (counts.get(c) ?? 0) > 1);
      const missing = COLORS.filter((c) => !counts.has(c));
      const r = rng.next();
      if (repeated.length > 0 && r < 0.2) return { type, color: rng.pick(repeated) };
      if (r < 0.3 || unique.length === 0) return { type, color: rng.pick(missing.length > 0 ? missing : COLORS) };
      return { type, color: rng.pick(unique) };
    }
    case 'count_all':
      return { type, wording: rng.bool() ? 0 : 1 };
    case 'count_color': {
      // Balance the answers (plain sampling gives the answer 1 two times in three): with a
      // repeated colour in the scene, 40% repeated, 30% absent, 30% present once; otherwise 35%
      // absent, 65% present.
      const counts = new Map<Color, number>();
      for (const o of scene.objects) counts.set(o.color, (counts.get(o.color) ?? 0) + 1);
      const repeated = COLORS.filter((c) => (counts.get(c) ?? 0) > 1);
      const missing = COLORS.filter((c) => !counts.has(c));
      const r = rng.next();
      if (repeated.length > 0 && r < 0.4) return { type, color: rng.pick(repeated) };
      if (missing.length > 0 && (repeated.length > 0 ? r < 0.7 : r < 0.35)) return { type, color: rng.pick(missing) };
      return { type, color: rng.pick(scene.objects).color as Color };
    }
    case 'exists': {
      if (rng.bool()) {
        const o = rng.pick(scene.objects);
        return { type, color: o.color, shape: o.shape };
      }
      for (;;) {
        // Half of the negatives name a present shape with another colour (the hard case).
        const shape = rng.bool() ? rng.pick(present) : rng.pick(SHAPES);
        const color = rng.pick(COLORS);
        if (!scene.objects.some((o) => o.color === color && o.shape === shape)) return { type, color, shape };
      }
    }
    case 'describe':
      return { type };
  }
}

/** Every question the spec allows about any scene (for exhaustive checks). */
export function allQuestions(): ShapeQuestion[] {
  const out: ShapeQuestion[] = [];
  for (const shape of SHAPES) out.push({ type: 'color_of_shape', shape }, { type: 'where', shape });
  for (const color of COLORS) out.push({ type: 'shape_of_color', color }, { type: 'count_color', color });
  out.push({ type: 'count_all', wording: 0 }, { type: 'count_all', wording: 1 }, { type: 'describe' });
  for (const color of COLORS) for (const shape of SHAPES) out.push({ type: 'exists', color, shape });
  for (const shape of SHAPES) out.push({ type: 'exists', color: null, shape });
  return out;
}

/** Recognises a (normalised) prompt as a world-1 question, or returns undefined. */
export function parseShapeQuestion(normalisedPrompt: string): ShapeQuestion | undefined {
  return allQuestions().find((q) => questionText(q) === normalisedPrompt);
}

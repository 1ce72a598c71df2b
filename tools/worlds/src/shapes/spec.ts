/** The constants of world 1 (shapes), exactly as in the worlds spec. */
export const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'star'] as const;
export type Shape = (typeof SHAPES)[number];

export const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'black'] as const;
export type Color = (typeof COLORS)[number];

/** Reference RGB of every colour; an object's colour is within ±20 per channel of it. */
export const COLOR_RGB: Readonly<Record<Color, readonly [number, number, number]>> = {
  red: [220, 40, 40],
  orange: [245, 140, 30],
  yellow: [235, 205, 35],
  green: [40, 165, 70],
  blue: [40, 90, 220],
  purple: [140, 60, 190],
  black: [25, 25, 25],
};
export const COLOR_JITTER = 20;

export const ROWS = ['top', 'middle', 'bottom'] as const;
export type Row = (typeof ROWS)[number];
export const COLUMNS = ['left', 'center', 'right'] as const;
export type Column = (typeof COLUMNS)[number];

export const MIN_OBJECTS = 1;
export const MAX_OBJECTS = 4;
/** Bounding box side as a fraction of the image's shorter side. */
export const MIN_SIZE_FRACTION = 0.15;
export const MAX_SIZE_FRACTION = 0.3;
export const MIN_IMAGE_SIDE = 64;
export const MAX_IMAGE_SIDE = 1024;
/** Width / height between 3:4 and 4:3. */
export const MIN_ASPECT = 3 / 4;
export const MAX_ASPECT = 4 / 3;
/** Every background channel is at least this light. */
export const MIN_BACKGROUND = 200;
export const MAX_NOISE = 12;

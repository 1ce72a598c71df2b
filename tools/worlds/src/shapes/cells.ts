import { cellIndex, type Scene } from './scene.js';
import { COLUMNS, ROWS } from './spec.js';

/** The token standing for an empty grid cell in a scene's text form. */
export const EMPTY_CELL = 'empty';

/** Names of the nine grid cells in reading order, e.g. `top_left` … `bottom_right`. */
export const CELL_NAMES: readonly string[] = ROWS.flatMap((r) => COLUMNS.map((c) => `${r}_${c}`));

/**
 * The scene's text form for the language model: one entry per grid cell in reading order, a
 * compound `{color}_{shape}` token or `empty`. It mirrors the vision path, whose 3 × 3 merged
 * patches give one image token per cell.
 */
export function sceneCells(scene: Scene): string[] {
  const cells: string[] = Array.from({ length: 9 }, () => EMPTY_CELL);
  for (const o of scene.objects) cells[cellIndex(o)] = `${o.color}_${o.shape}`;
  return cells;
}

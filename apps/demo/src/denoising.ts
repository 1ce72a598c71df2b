/**
 * The answer canvas as the steps stream in: which position holds which token after step k,
 * which positions step k filled, and the run's statistics. Pure, so the replay slider only
 * recomputes a view of the recorded steps.
 */
import type { DiffusionStep } from '@unmask/protocol';

export interface Cell {
  position: number;
  /** null while the position is still masked at the step shown. */
  text: string | null;
  token: number | null;
  confidence: number | null;
  /** The step that filled it (null while masked). */
  step: number | null;
  /** Filled in exactly the step shown. */
  fresh: boolean;
}

/** The canvas after `upTo` steps (0 = all masked), from the steps received so far. */
export function canvasAt(steps: readonly DiffusionStep[], upTo: number): Cell[] {
  const length = steps.reduce((n, s) => Math.max(n, s.canvas_length), 0);
  const cells: Cell[] = Array.from({ length }, (_, position) => ({
    position,
    text: null,
    token: null,
    confidence: null,
    step: null,
    fresh: false,
  }));
  for (const event of steps) {
    if (event.step > upTo) continue;
    for (const c of event.committed) {
      const cell = cells[c.position];
      if (!cell) continue;
      cell.text = c.text;
      cell.token = c.token;
      cell.confidence = c.confidence;
      cell.step = event.step;
      cell.fresh = event.step === upTo;
    }
  }
  return cells;
}

export interface RunStats {
  /** Forward passes (denoising steps) so far. */
  forwardPasses: number;
  /** Positions of the answer canvas. */
  canvasLength: number;
  /** Positions filled so far. */
  filled: number;
  masksRemaining: number;
  /** Positions filled per forward pass (the canvas length over the passes once done). */
  tokensPerStep: number;
  /** Engine time to the last step received, in milliseconds. */
  elapsedMs: number;
}

export function runStats(steps: readonly DiffusionStep[]): RunStats {
  const last = steps[steps.length - 1];
  const canvasLength = last?.canvas_length ?? 0;
  const masksRemaining = last?.masks_remaining ?? canvasLength;
  const forwardPasses = last?.forward_passes ?? 0;
  const filled = canvasLength - masksRemaining;
  return {
    forwardPasses,
    canvasLength,
    filled,
    masksRemaining,
    tokensPerStep: forwardPasses > 0 ? filled / forwardPasses : 0,
    elapsedMs: last?.elapsed_ms ?? 0,
  };
}

/**
 * How a token reads in a cell: spaces and line breaks made visible, end-of-text as the word
 * "end" (plain letters, so every font draws it; a symbol such as U+23F9 was a missing-glyph box).
 */
export const END_OF_TEXT_LABEL = 'end';
export function cellLabel(cell: Cell): string {
  if (cell.text === null) return '';
  if (cell.text === '') return END_OF_TEXT_LABEL;
  return cell.text.replace(/\n/g, '↵').replace(/ /g, '·');
}

export function describeCell(cell: Cell): string {
  if (cell.text === null) return `position ${cell.position + 1}: masked`;
  const token = cell.text === '' ? 'end of text' : `“${cell.text}”`;
  const confidence =
    cell.confidence === null
      ? 'no confidence (filled by end-of-text prediction)'
      : `confidence ${cell.confidence.toFixed(2)}`;
  return `position ${cell.position + 1}: ${token}, ${confidence}, step ${cell.step}${cell.fresh ? ', new in this step' : ''}`;
}

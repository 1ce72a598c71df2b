/**
 * Terminal rendering of a decoding run: the answer canvas redrawn in place after every step,
 * masks as `░`, tokens committed in this step highlighted. On a non-TTY stream only the final
 * answer is printed (no escape codes in pipes and files).
 */
export interface CanvasView {
  /** Per canvas position: the token's text, or null for a mask. */
  readonly cells: readonly (string | null)[];
  /** Positions committed in the latest step. */
  readonly fresh: ReadonlySet<number>;
}

const MASK_CELL = '░';
const BOLD_GREEN = '\u001b[1;32m';
const RESET = '\u001b[0m';

export function renderCanvas(view: CanvasView, color: boolean): string {
  return view.cells
    .map((cell, i) => {
      if (cell === null) return MASK_CELL;
      return color && view.fresh.has(i) ? `${BOLD_GREEN}${cell}${RESET}` : cell;
    })
    .filter((cell) => cell !== '')
    .join(' ');
}

/** Redraws one logical line in place (clearing what the previous draw wrapped onto). */
export class LiveLine {
  private lines = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  draw(text: string): void {
    const width = Math.max(20, this.out.columns ?? 80);
    const clear = this.lines > 0 ? `\u001b[${this.lines - 1 > 0 ? `${this.lines - 1}A` : '0A'}\r\u001b[J` : '';
    this.out.write(`${clear}${text}`);
    const visible = text.replace(/\u001b\[[0-9;]*m/g, '');
    this.lines = Math.max(1, Math.ceil(visible.length / width));
  }

  end(): void {
    if (this.lines > 0) this.out.write('\n');
    this.lines = 0;
  }
}

/**
 * The lines of a batch in flight: answers settle in any order, and each is handed to the writer
 * as soon as every line before it has settled, so OUT is always a prefix of the input's answers.
 */

export interface OpenLine<R> {
  readonly line: number;
  readonly raw: string;
  /** Added to the queue (a line is opened before its job is added). */
  enqueued: boolean;
  result?: R;
}

export class InOrderLines<R> {
  /** Open lines by number; a Map keeps insertion order, which is input order. */
  private readonly open = new Map<number, OpenLine<R>>();
  private readonly writtenLines: number[] = [];
  private wake: () => void = () => {};
  /** Resolves at the next settle (await it to wait for room or for the end). */
  changed: Promise<void> = this.nextChange();
  /** Lines settled since this object was made. */
  settled = 0;

  /** `write` takes each line's result, in input order. */
  constructor(private readonly write: (line: number, result: R) => void) {}

  /** Opens a line; lines must be opened in increasing order. */
  add(line: number, raw: string): OpenLine<R> {
    const entry: OpenLine<R> = { line, raw, enqueued: false };
    this.open.set(line, entry);
    return entry;
  }

  /** Lines open (queued or settled but not yet written). */
  get size(): number {
    return this.open.size;
  }

  /** Queued lines still waiting for their result. */
  waiting(): OpenLine<R>[] {
    return [...this.open.values()].filter((l) => l.enqueued && !l.result);
  }

  /** Records a line's result (a line not open, or settled already, is ignored) and writes what it can. */
  settle(line: number, result: R): void {
    const entry = this.open.get(line);
    if (!entry || entry.result) return;
    entry.result = result;
    this.settled += 1;
    for (const [l, e] of this.open) {
      if (!e.result) break;
      this.write(l, e.result);
      this.open.delete(l);
      this.writtenLines.push(l);
    }
    const wake = this.wake;
    this.changed = this.nextChange();
    wake();
  }

  /** The lines written since the last call. */
  takeWritten(): number[] {
    return this.writtenLines.splice(0);
  }

  private nextChange(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }
}

/**
 * A progress bar on stderr: one line redrawn in place on a terminal, a line per change of
 * phase (and at most one every 5 s) otherwise, so logs stay readable.
 */
export class Progress {
  private done = 0;
  private lastPrint = 0;
  private lastPhase = '';
  private readonly started = performance.now();

  constructor(private total: number) {}

  /** Adds work that was not known at the start. */
  grow(units: number): void {
    this.total += units;
  }

  tick(phase: string, units = 1): void {
    this.done += units;
    this.draw(phase);
  }

  draw(phase: string): void {
    const now = performance.now();
    const tty = process.stderr.isTTY === true;
    if (!tty && phase === this.lastPhase && now - this.lastPrint < 5000) return;
    if (tty && now - this.lastPrint < 100 && phase === this.lastPhase) return;
    this.lastPrint = now;
    this.lastPhase = phase;
    const fraction = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    const elapsed = (now - this.started) / 1000;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatSeconds(elapsed)} ${phase}`;
    if (tty) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    else process.stderr.write(`${line}\n`);
  }

  finish(message: string): void {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${message}\n`);
  }
}

export function formatSeconds(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${Math.floor(s % 60)
    .toString()
    .padStart(2, '0')}`;
}

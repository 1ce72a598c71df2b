/** The progress line of `unmask batch`: a bar, lines done of total, the recent rate and the ETA. */

/** Lines per second over the last `windowMs` (so a slow start or a stall shows up quickly). */
export class RateMeter {
  private readonly samples: { at: number; done: number }[] = [];

  constructor(private readonly windowMs = 20_000) {}

  record(at: number, done: number): void {
    this.samples.push({ at, done });
    while (this.samples.length > 2 && (this.samples[0]?.at ?? at) < at - this.windowMs) this.samples.shift();
  }

  /** Lines per second, or null before two samples a second apart. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 1000) return null;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressState {
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  /** Lines per second, null while unknown. */
  readonly rate: number | null;
  readonly width?: number;
}

export function renderProgress({ done, total, failed, rate, width = 24 }: ProgressState): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const percent = `${(fraction * 100).toFixed(fraction < 1 ? 1 : 0)}%`;
  const speed = rate === null ? '… lines/s' : `${rate < 10 ? rate.toFixed(2) : rate.toFixed(1)} lines/s`;
  const eta = done >= total ? 'done' : rate ? `ETA ${formatDuration((total - done) / rate)}` : 'ETA ?';
  const errors = failed > 0 ? `  ${failed} failed` : '';
  return `${bar} ${done}/${total} ${percent}  ${speed}  ${eta}${errors}`;
}

export type ProgressMode = 'bar' | 'lines' | 'off';

export interface ProgressSource {
  readonly mode: ProgressMode;
  readonly write: (text: string) => void;
  readonly total: number;
  /** Lines in OUT (from earlier runs too), and failed lines among them. */
  readonly done: () => number;
  readonly failed: () => number;
  /**
   * Called when nothing settled for 10 s; true once it has looked into why (it is not called
   * again), false to be asked again later (Redis was down, say).
   */
  readonly onStall: () => boolean;
}

/** The batch's progress on stderr: a redrawn bar on a terminal, a line every 10 s otherwise. */
export class BatchProgress {
  private readonly meter = new RateMeter();
  private lastLineAt = Date.now();
  private lastDone = -1;
  private lastChangeAt = Date.now();
  private stallHandled = false;

  constructor(private readonly source: ProgressSource) {}

  /** How often `tick` should run, or null when progress is off. */
  get intervalMs(): number | null {
    return this.source.mode === 'off' ? null : this.source.mode === 'bar' ? 250 : 1000;
  }

  line(done = this.source.done()): string {
    this.meter.record(Date.now(), done);
    return renderProgress({ done, total: this.source.total, failed: this.source.failed(), rate: this.meter.rate() });
  }

  tick(): void {
    const { mode, write } = this.source;
    const done = this.source.done();
    const line = this.line(done);
    if (mode === 'bar') write(`\r\u001b[2K${line}`);
    else if (mode === 'lines' && Date.now() - this.lastLineAt >= 10_000) {
      write(`${line}\n`);
      this.lastLineAt = Date.now();
    }
    if (done !== this.lastDone) {
      this.lastDone = done;
      this.lastChangeAt = Date.now();
    } else if (!this.stallHandled && Date.now() - this.lastChangeAt > 10_000) {
      this.stallHandled = this.source.onStall();
    }
  }

  /** Ends the bar's line, so that a message can follow on its own line. */
  breakLine(): void {
    if (this.source.mode === 'bar') this.source.write('\n');
  }

  /** The last progress line, once the batch is done. */
  finish(): void {
    if (this.source.mode !== 'off')
      this.source.write(`${this.source.mode === 'bar' ? '\r\u001b[2K' : ''}${this.line()}\n`);
  }
}

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

/**
 * Media being picked (a sample fetched, a file read, a recording encoded). Run waits for these, so
 * a click on a sample followed at once by Run asks about that sample. Of two picks of the same
 * kind, the one started last wins, whichever finishes first.
 */
import type { LoadedMedia } from './media.js';

export type MediaKind = 'image' | 'audio';

export class Picks {
  private readonly pending = new Set<Promise<void>>();
  private readonly latest: Record<MediaKind, number> = { image: 0, audio: 0 };

  /** `onError` hears a tracked task's failure (the task itself never rejects to its caller). */
  constructor(private readonly onError: (error: unknown) => void) {}

  /** Whether some tracked pick is still running. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Runs `task` as a pick that Run waits for. */
  track(task: Promise<void>): void {
    const tracked: Promise<void> = task
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.pending.delete(tracked);
      });
    this.pending.add(tracked);
  }

  /** Resolves once every pick started so far has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** The media once loaded, or null (its preview URL revoked) when a later pick of the same kind superseded it. */
  async pick(kind: MediaKind, media: Promise<LoadedMedia>): Promise<LoadedMedia | null> {
    const ticket = ++this.latest[kind];
    const loaded = await media;
    if (ticket === this.latest[kind]) return loaded;
    URL.revokeObjectURL(loaded.previewUrl);
    return null;
  }
}

/**
 * OUT for `unmask batch`: lines appended strictly in input order, with a checkpoint file beside
 * it (`OUT.progress.json`: the batch id, the last input line written and OUT's size then) written
 * after OUT is flushed to disk. Re-running the same batch truncates OUT to the checkpoint and goes
 * on from the next line, so no line is lost or written twice whatever killed the previous run.
 * The checkpoint is removed when the batch is complete.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ftruncateSync } from 'node:fs';
import { z } from 'zod';

const checkpointSchema = z.object({
  batch: z.string(),
  /** The last input line (1-based, blank lines counted) whose output is in OUT. */
  line: z.number().int().min(0),
  /** OUT's size in bytes after that line. */
  bytes: z.number().int().min(0),
  /** Output lines written, and how many of them are `{"error": ...}`. */
  written: z.number().int().min(0),
  failed: z.number().int().min(0),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export const checkpointPathOf = (out: string) => `${out}.progress.json`;

export class BatchOutput {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    private state: Checkpoint,
    private saved: Checkpoint,
    /** Why the previous checkpoint was not used, if there was one. */
    readonly restartReason: string | null,
    /** Whether OUT goes on from this batch's checkpoint. */
    readonly resumed: boolean,
  ) {}

  /** Opens OUT for `batch`: resumes from its checkpoint when it is this batch's, else starts it empty. */
  static open(path: string, batch: string): BatchOutput {
    const checkpointPath = checkpointPathOf(path);
    let resume: Checkpoint | null = null;
    let restartReason: string | null = null;
    if (existsSync(checkpointPath)) {
      const parsed = checkpointSchema.safeParse(safeJson(readFileSync(checkpointPath, 'utf8')));
      if (!parsed.success) restartReason = `${checkpointPath} is unreadable`;
      else if (parsed.data.batch !== batch)
        restartReason = `${checkpointPath} belongs to batch ${parsed.data.batch}, not ${batch} (another input or other flags)`;
      else if (!existsSync(path)) restartReason = `${path} is gone`;
      else resume = parsed.data;
    }
    const fd = openSync(path, resume ? 'r+' : 'w');
    const state = resume ?? { batch, line: 0, bytes: 0, written: 0, failed: 0 };
    if (resume) ftruncateSync(fd, resume.bytes);
    const output = new BatchOutput(path, fd, { ...state }, { ...state }, restartReason, resume !== null);
    output.checkpoint();
    return output;
  }

  /** The state as of the last checkpoint (what a re-run resumes from). */
  get resumedFrom(): Checkpoint {
    return this.saved;
  }

  get written(): number {
    return this.state.written;
  }

  get failed(): number {
    return this.state.failed;
  }

  /** Appends the output of input line `line` (which must come after the last one written). */
  append(line: number, out: string, failed: boolean): void {
    if (line <= this.state.line) throw new Error(`line ${line} written out of order (after ${this.state.line})`);
    const bytes = Buffer.from(`${out}\n`, 'utf8');
    writeSync(this.fd, bytes, 0, bytes.length, this.state.bytes);
    this.state = {
      ...this.state,
      line,
      bytes: this.state.bytes + bytes.length,
      written: this.state.written + 1,
      failed: this.state.failed + (failed ? 1 : 0),
    };
  }

  /** Flushes OUT to disk, then records the checkpoint (atomically). Returns the line it covers. */
  checkpoint(): number {
    fsyncSync(this.fd);
    const file = checkpointPathOf(this.path);
    writeAtomic(file, `${JSON.stringify(this.state)}\n`);
    this.saved = { ...this.state };
    return this.saved.line;
  }

  /** The batch is complete: flush, close, remove the checkpoint. */
  finish(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    rmSync(checkpointPathOf(this.path), { force: true });
  }

  /** Stops without finishing (the checkpoint stays for a re-run). */
  abandon(): void {
    this.checkpoint();
    closeSync(this.fd);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function writeAtomic(path: string, text: string): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

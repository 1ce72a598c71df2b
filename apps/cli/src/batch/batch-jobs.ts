/**
 * Between a batch's lines and BullMQ's jobs: the job a line becomes (its media files read here and
 * sent along, since workers may run on other machines), and which line a job's event settles, with
 * what result.
 */
import { mediaOfLine, readMediaFile } from '../jsonl-line.js';
import { JOB_ATTEMPTS, jobIdOf, jobResultSchema, mediaKey, type JobData, type JobResult } from './queue-shared.js';

/** The job of line `line` (its text `raw`): a file that cannot be read travels as its error. */
export function jobOfLine(batch: string, defaults: JobData['defaults'], line: number, raw: string) {
  const media: JobData['media'] = {};
  for (const { path, field } of mediaOfLine(raw)) {
    const key = mediaKey(field, path);
    if (key in media) continue;
    try {
      media[key] = { b64: Buffer.from(readMediaFile(path, field)).toString('base64') };
    } catch (error) {
      media[key] = { error: (error as Error).message };
    }
  }
  const data: JobData = { v: 1, batch, line, raw, media, defaults };
  return {
    name: 'ask',
    data,
    opts: {
      jobId: jobIdOf(batch, line),
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    },
  };
}

/** The line number of one of `batch`'s jobs, or null for another batch's job on the same queue. */
export function lineOfJob(batch: string, jobId: string | undefined): number | null {
  const match = jobId?.startsWith(`${batch}-`) ? /^\d+$/.exec(jobId.slice(batch.length + 1)) : null;
  return match ? Number(match[0]) : null;
}

/** A completed job's return value as a line's result; one that does not parse is a failed line. */
export function resultOf(returnvalue: unknown): JobResult {
  const value = typeof returnvalue === 'string' ? safeJson(returnvalue) : returnvalue;
  const parsed = jobResultSchema.safeParse(value);
  return parsed.success
    ? parsed.data
    : { out: JSON.stringify({ error: 'the worker returned an unreadable result' }), failed: true };
}

/** A job that failed its last attempt, as a line's result. */
export function failureOf(reason: string | undefined): JobResult {
  return { out: JSON.stringify({ error: `worker: ${reason || 'failed'}` }), failed: true };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

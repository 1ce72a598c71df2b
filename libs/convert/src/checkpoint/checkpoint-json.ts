/**
 * A checkpoint's JSON files (config.json, preprocessor_config.json): read as one object, or an
 * `invalid_bundle` error naming the file and what the checkpoint lacks.
 */
import { readFileSync } from 'node:fs';
import { UnmaskError } from '@unmask/core';

/** Reads `file` as a JSON object; `what` names it when the checkpoint has none (e.g. "config.json"). */
export function readCheckpointJson(file: string, what: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnmaskError(
      'invalid_bundle',
      `${file}: ${code === 'ENOENT' ? `the checkpoint has no ${what}` : `cannot read (${(error as Error).message})`}`,
      file,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UnmaskError('invalid_bundle', `${file}: must be a JSON object`, file);
  return raw as Record<string, unknown>;
}

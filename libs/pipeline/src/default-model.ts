/** Where the embedded default model lives: `models/default` at the repository root. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UnmaskError } from '@unmask/core';

export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/default', import.meta.url));

export function defaultModelDir(): string {
  if (!existsSync(DEFAULT_MODEL_DIR)) {
    throw new UnmaskError(
      'invalid_bundle',
      `the embedded default model is not in this checkout (${DEFAULT_MODEL_DIR}); train it with the tools/train command or pass a bundle folder`,
      'model',
    );
  }
  return DEFAULT_MODEL_DIR;
}

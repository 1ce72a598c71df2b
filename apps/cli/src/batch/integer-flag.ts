/** `--flag N` of `unmask batch` and `unmask worker`: an integer in [min, max], or `fallback` when absent. */
import { UnmaskError } from '@unmask/core';

export function integerFlag(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UnmaskError(
      'invalid_parameter',
      `--${flag} expects an integer in [${min}, ${max}], got ${JSON.stringify(value)}`,
      `--${flag}`,
    );
  return n;
}

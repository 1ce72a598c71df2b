/**
 * Placing image features in the prompt: every image placeholder token's embedding row is
 * replaced by the next image feature row, in order. The number of placeholders must equal the
 * number of feature rows exactly; a mismatch is the caller's prompt error, reported plainly.
 */
import { UnmaskError } from '@unmask/core';

export function countPlaceholders(ids: ArrayLike<number | bigint>, placeholderId: number): number {
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (Number(ids[i]) === placeholderId) n++;
  return n;
}

/** Throws `invalid_parameter` unless `placeholders` equals `features`. `what` names the media ("image"). */
export function assertSpliceCount(placeholders: number, features: number, placeholderId: number, what = 'image'): void {
  if (placeholders === features) return;
  throw new UnmaskError(
    'invalid_parameter',
    `the prompt has ${placeholders} ${what} placeholder token${placeholders === 1 ? '' : 's'} (id ${placeholderId}) but the ${what}s encode to ${features} feature${features === 1 ? '' : 's'}; ` +
      `they must be equal (let the chat template insert the placeholders)`,
    'prompt',
  );
}

/**
 * Overwrites, in `embeds` ([ids.length, hidden] row-major), the rows at placeholder positions
 * with the rows of `features` ([placeholders, hidden]), in order; returns `embeds`.
 */
export function spliceFeatures(
  embeds: Float32Array,
  hidden: number,
  ids: ArrayLike<number | bigint>,
  placeholderId: number,
  features: Float32Array,
  what = 'image',
): Float32Array {
  if (!Number.isInteger(hidden) || hidden < 1 || embeds.length !== ids.length * hidden) {
    throw new UnmaskError(
      'invalid_parameter',
      `splice: embeddings hold ${embeds.length} values, not ${ids.length} tokens × hidden ${hidden}`,
      'embeds',
    );
  }
  if (features.length % hidden !== 0) {
    throw new UnmaskError(
      'runtime_error',
      `splice: ${what} features hold ${features.length} values, not a multiple of hidden size ${hidden}`,
      'features',
    );
  }
  assertSpliceCount(countPlaceholders(ids, placeholderId), features.length / hidden, placeholderId, what);
  let row = 0;
  for (let i = 0; i < ids.length; i++) {
    if (Number(ids[i]) !== placeholderId) continue;
    embeds.set(features.subarray(row * hidden, (row + 1) * hidden), i * hidden);
    row++;
  }
  return embeds;
}

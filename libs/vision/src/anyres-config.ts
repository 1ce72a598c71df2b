/**
 * LLaVA-NeXT / OneVision "anyres" image settings (LLaDA-V: `anyres_max_4`, grids 1×1…6×6 of 384
 * px, `spatial_unpad`, a learned `image_newline`), carried by a bundle manifest's `vision.anyres`
 * section under the names of the checkpoint's config.json:
 *
 * - `image_aspect_ratio`: `"anyres"` or `"anyres_max_N"` (N: the feature budget in tiles' worth
 *   of rows, anyres-geometry.ts).
 * - `image_grid_pinpoints`: the resolutions an image may be tiled at, `[width, height]` in pixels,
 *   each a multiple of the tile (the processor's `size`), in the checkpoint's order (the first of
 *   equally good resolutions wins).
 * - `mm_patch_merge_type`: `"spatial_unpad"` (the only merge implemented).
 * - `image_newline`: the bundle file holding the learned newline row (a safetensors file with one
 *   float tensor of the LM's hidden size).
 */
import { z } from 'zod';
import { UnmaskError } from '@unmask/core';
import { parseSection } from './parse-section.js';

const side = z.number().int().positive().max(16384);

export const anyresConfigSchema = z
  .object({
    image_aspect_ratio: z
      .string()
      .regex(/^anyres(_max_[1-9][0-9]*)?$/, { message: 'must be "anyres" or "anyres_max_N" (N a positive integer)' }),
    image_grid_pinpoints: z
      .array(z.tuple([side, side]), { message: 'must be a list of [width, height] pairs in pixels' })
      .min(1)
      .max(4096),
    mm_patch_merge_type: z.literal('spatial_unpad', {
      message: 'only "spatial_unpad" (unpadded tile features, a newline row after each row) is implemented',
    }),
    image_newline: z
      .string()
      .min(1)
      .refine((path) => !path.startsWith('/') && !path.split(/[\\/]/).includes('..'), {
        message: 'must be a relative path inside the bundle folder',
      }),
  })
  .strict();

export type AnyresConfig = z.output<typeof anyresConfigSchema>;

/** Validates a `vision.anyres` section; `source` prefixes the error, which names the field. */
export function parseAnyresConfig(value: unknown, source = 'vision.anyres'): AnyresConfig {
  return parseSection(anyresConfigSchema, value, source);
}

/** N of `anyres_max_N`; undefined for plain `anyres` (no budget). */
export function anyresMaxPatches(config: Pick<AnyresConfig, 'image_aspect_ratio'>): number | undefined {
  const match = /^anyres_max_([0-9]+)$/.exec(config.image_aspect_ratio);
  return match ? Number(match[1]) : undefined;
}

/** Checks that every pinpoint is a whole number of `tile` × `tile` tiles. */
export function assertPinpointsTile(config: AnyresConfig, tile: number, source = 'vision.anyres'): void {
  const bad = config.image_grid_pinpoints.find(([w, h]) => w % tile !== 0 || h % tile !== 0);
  if (bad) {
    throw new UnmaskError(
      'invalid_bundle',
      `${source}: image_grid_pinpoints: [${bad.join(', ')}] is not a whole number of ${tile} × ${tile} tiles (the processor's size)`,
      `${source}.image_grid_pinpoints`,
    );
  }
}

/**
 * A checkpoint's `image_grid_pinpoints` as [width, height] pixel pairs. LLaVA's configs carry
 * either the list itself (as a list or its Python literal text) or a range of grids in tiles,
 * `"(1x1),...,(6x6)"`: every grid from the first to the last, width-major, times the tile size.
 */
export function expandGridPinpoints(value: unknown, tile: number, source = 'image_grid_pinpoints'): [number, number][] {
  const fail = (why: string): never => {
    throw new UnmaskError('invalid_bundle', `${source}: ${why}`, source);
  };
  let list: unknown = value;
  if (typeof value === 'string') {
    const grids = [...value.matchAll(/\((\d+)x(\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    if (grids.length > 0) {
      const [w0, h0] = grids[0]!;
      const [w1, h1] = grids.at(-1)!;
      if (w1 < w0 || h1 < h0 || (w1 - w0 + 1) * (h1 - h0 + 1) > 4096) fail(`"${value}" is not a range of grids`);
      const out: [number, number][] = [];
      for (let i = w0; i <= w1; i++) for (let j = h0; j <= h1; j++) out.push([i * tile, j * tile]);
      return out;
    }
    try {
      list = JSON.parse(value.replace(/\(/g, '[').replace(/\)/g, ']'));
    } catch {
      fail(`"${value}" is neither a list of [width, height] pairs nor a range like "(1x1),...,(6x6)"`);
    }
  }
  const parsed = anyresConfigSchema.shape.image_grid_pinpoints.safeParse(list);
  if (!parsed.success) fail(parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data!.map(([w, h]) => [w, h]);
}

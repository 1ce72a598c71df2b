/**
 * The decoded image every processor consumes: 8-bit sRGB, three interleaved channels, row-major
 * (`data[(y * width + x) * 3 + c]`), no alpha. `decodeImage` produces it; tests build it directly.
 */
import { UnmaskError } from '@unmask/core';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 3 bytes, RGB interleaved. */
  readonly data: Uint8Array;
}

/** Checks that `image` is a well-formed RgbImage; `what` names it in the error. */
export function assertRgbImage(image: RgbImage, what = 'image'): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UnmaskError(
      'invalid_media',
      `${what}: width and height must be positive integers, got ${width}×${height}`,
      what,
    );
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    throw new UnmaskError(
      'invalid_media',
      `${what}: expected ${width * height * 3} bytes of RGB data for ${width}×${height}, got ${data?.length ?? 'none'}`,
      what,
    );
  }
}

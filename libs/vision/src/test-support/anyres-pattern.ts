/**
 * The test image of the upstream anyres run (test-fixtures/upstream-anyres/README.md): an integer
 * formula, horizontal and vertical gradients in red and green, a 7 × 5 checkerboard plus a
 * product ramp in blue, so that Python and TypeScript build the same pixels without an image file.
 */
import type { RgbImage } from '../rgb-image.js';

export function anyresPattern(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.floor((x * 255) / Math.max(width - 1, 1));
      data[i + 1] = Math.floor((y * 255) / Math.max(height - 1, 1));
      data[i + 2] = ((Math.floor(x / 7) + Math.floor(y / 5)) % 2) * 200 + ((x * y) % 37);
    }
  }
  return { width, height, data };
}

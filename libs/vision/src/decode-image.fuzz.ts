/**
 * Fuzz target for image decoding: small PNG, JPEG, WebP, GIF, TIFF and AVIF files, mutated
 * byte-wise (header sizes set to extremes included), decoded under a small pixel limit. A clean
 * result is RGB whose pixel count is within the limit; anything else must be an UnmaskError.
 */
import sharp from 'sharp';
import { FuzzFinding, mutatedBytes, type FuzzTarget } from '@unmask/core/fuzz';
import { decodeImage } from './decode-image.js';

const MAX_PIXELS = 4096;

async function imageSeeds(): Promise<Uint8Array[]> {
  const base = () =>
    sharp({ create: { width: 9, height: 7, channels: 4, background: { r: 200, g: 30, b: 60, alpha: 0.5 } } });
  const files = await Promise.all([
    base().png().toBuffer(),
    base().png({ palette: true }).toBuffer(),
    base().jpeg({ quality: 50 }).toBuffer(),
    base().webp({ lossless: true }).toBuffer(),
    base().gif().toBuffer(),
    base().tiff().toBuffer(),
    base().avif({ effort: 0 }).toBuffer(),
  ]);
  return files.map((b) => new Uint8Array(b));
}

export const IMAGE_SEEDS = await imageSeeds();

export const decodeImageTarget: FuzzTarget<Uint8Array> = {
  name: 'vision.decodeImage',
  arbitrary: mutatedBytes(IMAGE_SEEDS),
  timeoutMs: 5000,
  async run(bytes) {
    const image = await decodeImage(bytes, { maxBytes: 1 << 20, maxPixels: MAX_PIXELS });
    if (image.width * image.height > MAX_PIXELS)
      throw new FuzzFinding(`decoded ${image.width}×${image.height}, over the ${MAX_PIXELS}-pixel limit`);
    if (image.data.length !== image.width * image.height * 3)
      throw new FuzzFinding(`${image.data.length} bytes for ${image.width}×${image.height} RGB`);
  },
};

export const fuzzTargets = [decodeImageTarget];

import { Rng } from '../rng.js';

/** Adds uniform noise of ±amplitude to every channel of an interleaved 8-bit buffer, in place. */
export function addUniformNoise(pixels: Uint8Array | Buffer, channels: number, amplitude: number, seed: number): void {
  if (amplitude <= 0) return;
  const rng = new Rng(seed);
  for (let i = 0; i < pixels.length; i++) {
    if (channels === 4 && i % 4 === 3) continue;
    const v = (pixels[i] as number) + rng.int(-amplitude, amplitude);
    pixels[i] = v < 0 ? 0 : Math.min(v, 255);
  }
}

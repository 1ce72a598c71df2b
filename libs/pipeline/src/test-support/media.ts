/** Small real media files for tests: a PNG drawn with sharp and a PCM WAV written by hand. */
import sharp from 'sharp';

export async function pngOf(
  width: number,
  height: number,
  rgb: [number, number, number] = [240, 240, 240],
): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="rgb(${rgb.join(',')})"/><circle cx="${width / 4}" cy="${height / 4}" r="${Math.min(width, height) / 10}" fill="rgb(220,40,40)"/></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** A PNG of one colour and nothing else. */
export async function solidPngOf(width: number, height: number, rgb: [number, number, number]): Promise<Uint8Array> {
  const [r, g, b] = rgb;
  return new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
      .png()
      .toBuffer(),
  );
}

/** A 16-bit PCM mono WAV of a sine tone. */
export function wavOf(seconds: number, sampleRate = 16000, frequency = 440): Uint8Array {
  const n = Math.round(seconds * sampleRate);
  const buffer = Buffer.alloc(44 + n * 2);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + n * 2, 4);
  buffer.write('WAVEfmt ', 8, 'ascii');
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20); // PCM
  buffer.writeUInt16LE(1, 22); // mono
  buffer.writeUInt32LE(sampleRate, 24);
  buffer.writeUInt32LE(sampleRate * 2, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    buffer.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * frequency * i) / sampleRate)), 44 + i * 2);
  return new Uint8Array(buffer);
}

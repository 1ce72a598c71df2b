import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { isUnmaskError } from '@unmask/core';
import { decodeImage } from './decode-image.js';
import { encode, makeImage, readBytes } from './test-support/fixtures.js';

/** A smooth gradient: lossy codecs keep it within a few levels. */
const gradient = makeImage(48, 32, (x, y) => [x * 5, y * 7, 128]);

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A PNG built chunk by chunk, so its header can say anything. */
function pngWithHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function rejects(bytes: Uint8Array, code: string, message: RegExp, options = {}) {
  await assert.rejects(decodeImage(bytes, options, 'photo.bin'), (error: unknown) => {
    assert.ok(isUnmaskError(error), `expected an UnmaskError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.match(error.message, /^photo\.bin: /);
    return true;
  });
}

describe('decodeImage', () => {
  describe('formats', () => {
    it('decodes PNG, lossless WebP and TIFF to the exact RGB bytes', async () => {
      for (const [format, options] of [
        ['png', {}],
        ['webp', { lossless: true }],
        ['tiff', { compression: 'lzw' }],
      ] as const) {
        const out = await decodeImage(await encode(gradient, format, options));
        assert.deepEqual([out.width, out.height], [48, 32], format);
        assert.equal(maxDiff(out.data, gradient.data), 0, format);
      }
    });

    it('decodes JPEG, lossy WebP and AVIF to within a few levels of the original', async () => {
      for (const format of ['jpeg', 'webp', 'avif'] as const) {
        const out = await decodeImage(await encode(gradient, format, { quality: 95 }));
        assert.deepEqual([out.width, out.height], [48, 32], format);
        assert.ok(maxDiff(out.data, gradient.data) <= 12, `${format}: ${maxDiff(out.data, gradient.data)}`);
      }
    });

    it('decodes only the first frame of an animated GIF', async () => {
      // Two 4×3 frames: red, then blue.
      const frames = makeImage(4, 6, (_x, y) => (y < 3 ? [255, 0, 0] : [0, 0, 255]));
      const gif = await sharp(frames.data, { raw: { width: 4, height: 6, channels: 3, pageHeight: 3 } })
        .gif({ delay: [100, 100] })
        .toBuffer();
      assert.equal((await sharp(gif).metadata()).pages, 2);
      const out = await decodeImage(gif);
      assert.deepEqual([out.width, out.height], [4, 3]);
      for (let i = 0; i < out.data.length; i += 3) assert.deepEqual([...out.data.subarray(i, i + 3)], [255, 0, 0]);
    });

    it('reads the fixture PNGs at their stored sizes', async () => {
      const out = await decodeImage(readBytes('hf/qwen2vl/input2.png'));
      assert.deepEqual([out.width, out.height, out.data.length], [37, 301, 37 * 301 * 3]);
    });
  });

  describe('pixel conversions', () => {
    it('applies the EXIF orientation (6: rotate 90° clockwise)', async () => {
      // 40×30, left half red, right half blue; orientation 6 shows it as 30×40, red on top.
      const image = makeImage(40, 30, (x) => (x < 20 ? [255, 0, 0] : [0, 0, 255]));
      const jpeg = await sharp(image.data, { raw: { width: 40, height: 30, channels: 3 } })
        .jpeg({ quality: 100 })
        .withMetadata({ orientation: 6 })
        .toBuffer();
      assert.equal((await sharp(jpeg).metadata()).orientation, 6);
      const out = await decodeImage(jpeg);
      assert.deepEqual([out.width, out.height], [30, 40]);
      const at = (x: number, y: number) => [...out.data.subarray((y * 30 + x) * 3, (y * 30 + x) * 3 + 3)];
      assert.ok(at(15, 5)[0]! > 200 && at(15, 5)[2]! < 50, `top is red: ${at(15, 5)}`);
      assert.ok(at(15, 35)[2]! > 200 && at(15, 35)[0]! < 50, `bottom is blue: ${at(15, 35)}`);
    });

    it('flattens alpha onto white by default and onto a given background', async () => {
      // Opaque red left column, fully transparent right column, half-transparent black middle.
      const rgba = new Uint8Array([255, 0, 0, 255, 0, 0, 0, 128, 0, 0, 0, 0]);
      const png = await sharp(rgba, { raw: { width: 3, height: 1, channels: 4 } })
        .png()
        .toBuffer();
      // Half transparent (alpha 128/255) black over a background b: b · 127/255, within a level.
      const white = await decodeImage(png);
      assert.deepEqual([...white.data.subarray(0, 3)], [255, 0, 0]);
      for (const v of white.data.subarray(3, 6)) assert.ok(Math.abs(v - (255 * 127) / 255) <= 1, `${v}`);
      assert.deepEqual([...white.data.subarray(6)], [255, 255, 255]);
      const green = await decodeImage(png, { background: [0, 200, 0] });
      assert.deepEqual([...green.data.subarray(0, 3)], [255, 0, 0]);
      assert.deepEqual([green.data[3], green.data[5]], [0, 0]);
      assert.ok(Math.abs(green.data[4]! - (200 * 127) / 255) <= 1, `${green.data[4]}`);
      assert.deepEqual([...green.data.subarray(6)], [0, 200, 0]);
    });

    it('expands a one-channel grey PNG to three equal channels', async () => {
      const grey = await sharp(gradient.data, { raw: { width: 48, height: 32, channels: 3 } })
        .toColourspace('b-w')
        .png()
        .toBuffer();
      assert.equal((await sharp(grey).metadata()).channels, 1);
      const out = await decodeImage(grey);
      for (let i = 0; i < out.data.length; i += 3) {
        assert.equal(out.data[i], out.data[i + 1]);
        assert.equal(out.data[i], out.data[i + 2]);
      }
    });

    it('expands a palette PNG to its RGB colours', async () => {
      const flat = makeImage(8, 8, (x) => (x < 4 ? [200, 30, 10] : [10, 30, 200]));
      const png = await encode(flat, 'png', { palette: true });
      assert.equal((await sharp(png).metadata()).isPalette, true);
      assert.deepEqual([...(await decodeImage(png)).data], [...flat.data]);
    });

    it('reduces a 16-bit PNG to 8 bits per channel', async () => {
      const png16 = await sharp(gradient.data, { raw: { width: 48, height: 32, channels: 3 } })
        .toColourspace('rgb16')
        .png()
        .toBuffer();
      assert.equal((await sharp(png16).metadata()).depth, 'ushort');
      const out = await decodeImage(png16);
      assert.equal(out.data.length, 48 * 32 * 3);
      assert.ok(maxDiff(out.data, gradient.data) <= 1, `${maxDiff(out.data, gradient.data)}`);
    });

    it('maps an embedded ICC profile to sRGB, or keeps the stored values when asked (as Pillow does)', async () => {
      // Stored as Display P3: sRGB (200, 30, 30) is P3 ≈ (184, 50, 41).
      const srgb = makeImage(2, 1, () => [200, 30, 30]);
      const p3 = await sharp(srgb.data, { raw: { width: 2, height: 1, channels: 3 } })
        .withIccProfile('p3')
        .png()
        .toBuffer();
      const converted = await decodeImage(p3);
      assert.ok(maxDiff(converted.data, srgb.data) <= 2, `${[...converted.data]}`);
      const stored = await decodeImage(p3, { iccProfile: 'ignore' });
      assert.ok(stored.data[0]! < 190 && stored.data[1]! > 40, `${[...stored.data]}`);
    });

    it('converts a CMYK JPEG to sRGB', async () => {
      const flat = makeImage(8, 8, () => [40, 90, 200]);
      const cmyk = await sharp(flat.data, { raw: { width: 8, height: 8, channels: 3 } })
        .toColourspace('cmyk')
        .jpeg({ quality: 100 })
        .toBuffer();
      assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
      const out = await decodeImage(cmyk);
      assert.equal(out.data.length, 8 * 8 * 3);
      // A blue stays blue through the CMYK profile round trip.
      assert.ok(out.data[2]! > out.data[1]! && out.data[1]! > out.data[0]!, `${[...out.data.subarray(0, 3)]}`);
    });
  });

  describe('limits and broken files', () => {
    it('refuses an empty file', async () => {
      await rejects(new Uint8Array(0), 'invalid_media', /the file is empty \(0 bytes\)/);
    });

    it('refuses a file over the byte limit before parsing it', async () => {
      const png = await encode(gradient, 'png');
      await rejects(png, 'too_large', new RegExp(`${png.length} bytes is over the limit of 100 bytes`), {
        maxBytes: 100,
      });
    });

    it('refuses a header that declares 100000×100000 pixels without decoding it', async () => {
      await rejects(
        pngWithHeader(100000, 100000),
        'too_large',
        /png header declares 100000×100000 = 10000000000 pixels, over the limit of 40000000 pixels/,
      );
    });

    it('applies a configured pixel limit', async () => {
      await rejects(await encode(gradient, 'png'), 'too_large', /48×32 = 1536 pixels, over the limit of 1000 pixels/, {
        maxPixels: 1000,
      });
    });

    it('refuses headers declaring a zero width or height', async () => {
      await rejects(pngWithHeader(0, 10), 'invalid_media', /png header declares a zero-sized image \(0×10\)/);
      await rejects(pngWithHeader(10, 0), 'invalid_media', /png header declares a zero-sized image \(10×0\)/);
    });

    it('refuses a truncated PNG', async () => {
      const png = readBytes('hf/siglip/input.png');
      await rejects(
        png.subarray(0, png.length >> 1),
        'invalid_media',
        /corrupt or truncated png data: .*libpng read error/,
      );
    });

    it('refuses a truncated JPEG', async () => {
      const jpeg = await encode(
        makeImage(64, 64, (x, y) => [(x * y) % 256, x * 4, y * 4]),
        'jpeg',
      );
      await rejects(
        jpeg.subarray(0, jpeg.length >> 1),
        'invalid_media',
        /corrupt or truncated jpeg data: .*premature end of JPEG/,
      );
    });

    it('refuses bytes in no image format, quoting the first bytes', async () => {
      await rejects(
        new TextEncoder().encode('hello, this is not an image'),
        'invalid_media',
        /not a recognised image format \(first bytes 68 65 6c 6c 6f 2c 20 74\); accepted: PNG, JPEG, WebP, GIF, TIFF, AVIF/,
      );
    });

    it('refuses a PNG signature followed by garbage', async () => {
      const bogus = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.from('garbage garbage garbage garbage'),
      ]);
      await rejects(bogus, 'invalid_media', /unreadable image header|not a recognised image format/);
    });

    it('refuses formats sharp reads but this runtime does not accept (SVG)', async () => {
      const svg = new TextEncoder().encode(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>',
      );
      await rejects(svg, 'invalid_media', /unsupported image format 'svg'/);
    });

    it('validates its options', async () => {
      await assert.rejects(decodeImage(new Uint8Array(4), { maxPixels: -1 }), /decode options: maxPixels/);
    });
  });
});

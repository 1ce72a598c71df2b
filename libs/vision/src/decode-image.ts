/**
 * Image bytes → 8-bit sRGB RGB pixels, through sharp (libvips). Accepts PNG, JPEG, WebP, GIF
 * (first frame), TIFF (first page) and AVIF; applies the EXIF orientation; flattens alpha onto a
 * background (white by default, as transformers' `convert_rgb` composites); grey, palette, CMYK
 * and 16-bit inputs come out as 8-bit sRGB.
 *
 * Every refusal is an UnmaskError naming the problem: empty input and byte-size limit before
 * anything is parsed, unrecognised or unsupported formats from the header, declared pixel counts
 * over the limit from the header (before decoding: decompression bombs are never decoded), and
 * corrupt or truncated data from the decoder.
 */
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { z } from 'zod';
import { UnmaskError } from '@unmask/core';
import type { RgbImage } from './rgb-image.js';

const byte = z.number().int().min(0).max(255);

export const decodeOptionsSchema = z.object({
  /** Largest accepted encoded size in bytes (default 20 MiB). */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  /** Largest accepted width × height, checked on the header and enforced by sharp (default 40 Mpx). */
  maxPixels: z.number().int().positive().default(40_000_000),
  /** RGB the alpha channel is flattened onto (default white). */
  background: z.tuple([byte, byte, byte]).default([255, 255, 255]),
  /**
   * Embedded ICC profiles: 'convert' (default) maps the pixels to sRGB, so colours are right;
   * 'ignore' keeps the stored values as Pillow does (what transformers' models were trained on).
   */
  iccProfile: z.enum(['convert', 'ignore']).default('convert'),
});
export type DecodeOptions = z.input<typeof decodeOptionsSchema>;

/** Decoders accepted, by sharp's metadata `format` (AVIF is `heif` with AV1 compression). */
const ACCEPTED = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif']);
const ACCEPTED_LIST = 'PNG, JPEG, WebP, GIF, TIFF, AVIF';

function hexPrefix(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Width × height from a PNG or GIF header, read directly (sharp reports zero sizes only as a corrupt header). */
function headerSize(bytes: Uint8Array): { format: string; width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 24 && png.every((b, i) => bytes[i] === b)) {
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 10 && String.fromCharCode(...bytes.subarray(0, 3)) === 'GIF') {
    return { format: 'gif', width: view.getUint16(6, true), height: view.getUint16(8, true) };
  }
  return undefined;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // libvips repeats lines; the first distinct ones say enough.
  return [
    ...new Set(
      message
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    ),
  ]
    .slice(0, 2)
    .join('; ');
}

export interface ImageHeader {
  /** sharp's format name (`heif` for AVIF). */
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

function parseOptions(options: DecodeOptions) {
  const parsed = decodeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnmaskError(
      'invalid_parameter',
      `decode options: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      'decode',
    );
  }
  return parsed.data;
}

/**
 * Reads only the header of an image file (libvips reads no pixel data for it): the format and
 * the declared size, checked against `maxBytes` and `maxPixels`. This is the cheap check a
 * request's images get before any of them is decoded.
 */
export async function readImageHeader(
  bytes: Uint8Array,
  options: DecodeOptions = {},
  name = 'image',
): Promise<ImageHeader> {
  const { maxBytes, maxPixels } = parseOptions(options);
  if (!(bytes instanceof Uint8Array)) {
    throw new UnmaskError('invalid_media', `${name}: expected bytes (Uint8Array), got ${typeof bytes}`, name);
  }
  if (bytes.length === 0) throw new UnmaskError('invalid_media', `${name}: the file is empty (0 bytes)`, name);
  if (bytes.length > maxBytes) {
    throw new UnmaskError('too_large', `${name}: ${bytes.length} bytes is over the limit of ${maxBytes} bytes`, name);
  }
  const declared = headerSize(bytes);
  if (declared && (declared.width === 0 || declared.height === 0)) {
    throw new UnmaskError(
      'invalid_media',
      `${name}: the ${declared.format} header declares a zero-sized image (${declared.width}×${declared.height})`,
      name,
    );
  }
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    const why = describe(error);
    if (/unsupported image format/i.test(why)) {
      throw new UnmaskError(
        'invalid_media',
        `${name}: not a recognised image format (first bytes ${hexPrefix(bytes)}); accepted: ${ACCEPTED_LIST}`,
        name,
        { cause: error },
      );
    }
    throw new UnmaskError('invalid_media', `${name}: unreadable image header: ${why}`, name, { cause: error });
  }
  const format = metadata.format;
  if (!ACCEPTED.has(format) || (format === 'heif' && metadata.compression !== 'av1')) {
    const label = format === 'heif' ? `heif/${metadata.compression ?? 'unknown'}` : format;
    throw new UnmaskError(
      'invalid_media',
      `${name}: unsupported image format '${label}'; accepted: ${ACCEPTED_LIST}`,
      name,
    );
  }
  const { width, height } = metadata;
  if (!width || !height) {
    throw new UnmaskError(
      'invalid_media',
      `${name}: the ${format} header declares a zero-sized image (${width ?? 0}×${height ?? 0})`,
      name,
    );
  }
  if (width * height > maxPixels) {
    throw new UnmaskError(
      'too_large',
      `${name}: the ${format} header declares ${width}×${height} = ${width * height} pixels, over the limit of ${maxPixels} pixels (decompression bomb guard)`,
      name,
    );
  }
  return { format, width, height };
}

/**
 * Decodes `bytes` into RGB. `name` (a file name or field) prefixes every error message.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}, name = 'image'): Promise<RgbImage> {
  const { maxPixels, background, iccProfile } = parseOptions(options);
  const { format } = await readImageHeader(bytes, options, name);
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(input, {
      limitInputPixels: maxPixels,
      failOn: 'truncated',
      autoOrient: true,
      pages: 1,
      page: 0,
      ignoreIcc: iccProfile === 'ignore',
    })
      .flatten({ background: { r: background[0], g: background[1], b: background[2] } })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    const why = describe(error);
    if (/pixel limit/i.test(why)) {
      throw new UnmaskError('too_large', `${name}: decoded image exceeds the limit of ${maxPixels} pixels`, name, {
        cause: error,
      });
    }
    throw new UnmaskError('invalid_media', `${name}: corrupt or truncated ${format} data: ${why}`, name, {
      cause: error,
    });
  }
  const { info, data } = raw;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new UnmaskError(
      'invalid_media',
      `${name}: decoding gave ${info.channels} channels and ${data.length} bytes for ${info.width}×${info.height}; expected RGB`,
      name,
    );
  }
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

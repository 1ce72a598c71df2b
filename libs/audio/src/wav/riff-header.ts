/**
 * Reads and checks the RIFF/WAVE structure of a file before any sample decoder sees it: the
 * container id, every chunk's declared size against the bytes really present, and the `fmt `
 * fields against each other. Decoders (wavefile included) trust these numbers; a lying header
 * would otherwise make them read past the end, allocate huge arrays or return garbage.
 */
import { UnmaskError } from '@unmask/core';

/** How the samples in the data chunk are stored. */
export type WavEncoding = 'pcm' | 'float' | 'alaw' | 'mulaw';

export interface WavHeader {
  readonly encoding: WavEncoding;
  /** The format tag as written (1 PCM, 3 float, 6 A-law, 7 µ-law, 0xFFFE extensible). */
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRate: number;
  /** Bits of one sample in one channel (the container size). */
  readonly bitsPerSample: number;
  /** Bytes of one frame: one sample of every channel. */
  readonly blockAlign: number;
  /** Offset of the first sample byte in the file. */
  readonly dataOffset: number;
  /** Bytes of sample data (a whole number of frames). */
  readonly dataBytes: number;
  /** Frames (samples per channel). */
  readonly frames: number;
}

/** Sample rates accepted, in Hz. */
export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 96000;
/** More channels than this is treated as a corrupt header. */
export const MAX_CHANNELS = 64;

const FORMAT_TAGS: Record<number, WavEncoding> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw' };
const EXTENSIBLE = 0xfffe;
/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE GUID used for the basic formats. */
const SUBFORMAT_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const ALLOWED_BITS: Record<WavEncoding, readonly number[]> = {
  pcm: [8, 16, 24, 32],
  float: [32, 64],
  alaw: [8],
  mulaw: [8],
};

function fourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(
    bytes[offset] ?? 0,
    bytes[offset + 1] ?? 0,
    bytes[offset + 2] ?? 0,
    bytes[offset + 3] ?? 0,
  );
}

function printable(id: string): string {
  return /^[\x20-\x7e]{4}$/.test(id) ? `"${id}"` : `0x${Buffer.from(id, 'latin1').toString('hex')}`;
}

/**
 * Parses the header of a WAV file held in `bytes`. `name` only labels error messages.
 * Throws `UnmaskError('invalid_media')` naming the first problem found.
 */
export function parseWavHeader(bytes: Uint8Array, name = 'audio'): WavHeader {
  const fail = (why: string) => new UnmaskError('invalid_media', `${name}: not a usable WAV file: ${why}`, name);
  if (bytes.length === 0) throw fail('the file is empty');
  if (bytes.length < 12) throw fail(`only ${bytes.length} bytes, shorter than a RIFF header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const container = fourcc(bytes, 0);
  if (container === 'RIFX') throw fail('big-endian RIFX files are not supported');
  if (container === 'RF64') throw fail('RF64 files are not supported');
  if (container !== 'RIFF') throw fail(`starts with ${printable(container)} instead of "RIFF"`);
  if (fourcc(bytes, 8) !== 'WAVE') throw fail(`RIFF form type is ${printable(fourcc(bytes, 8))}, not "WAVE"`);
  const riffSize = view.getUint32(4, true);
  if (riffSize < 4) throw fail(`RIFF size field is ${riffSize}, too small for any content`);
  if (8 + riffSize > bytes.length) {
    throw fail(`truncated: the RIFF header declares ${8 + riffSize} bytes but the file has ${bytes.length}`);
  }
  const end = 8 + riffSize;

  let fmt: { offset: number; size: number } | undefined;
  let data: { offset: number; size: number } | undefined;
  let offset = 12;
  while (offset + 8 <= end && !(fmt && data)) {
    const id = fourcc(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (body + size > end) {
      throw fail(`the ${printable(id)} chunk at byte ${offset} declares ${size} bytes but only ${end - body} remain`);
    }
    if (id === 'fmt ') {
      if (fmt) throw fail('more than one "fmt " chunk');
      fmt = { offset: body, size };
    } else if (id === 'data') {
      if (data) throw fail('more than one "data" chunk');
      data = { offset: body, size };
    }
    offset = body + size + (size % 2); // chunks are padded to an even size
  }
  if (!fmt) throw fail('no "fmt " chunk');
  if (!data) throw fail('no "data" chunk');
  if (fmt.size < 16) throw fail(`the "fmt " chunk has ${fmt.size} bytes, needs at least 16`);

  const f = fmt.offset;
  const formatTag = view.getUint16(f, true);
  const channels = view.getUint16(f + 2, true);
  const sampleRate = view.getUint32(f + 4, true);
  const byteRate = view.getUint32(f + 8, true);
  const blockAlign = view.getUint16(f + 12, true);
  const bitsPerSample = view.getUint16(f + 14, true);

  let encoding = FORMAT_TAGS[formatTag];
  if (formatTag === EXTENSIBLE) {
    if (fmt.size < 40) throw fail(`WAVE_FORMAT_EXTENSIBLE "fmt " chunk has ${fmt.size} bytes, needs 40`);
    const subformat = view.getUint16(f + 24, true);
    const tailMatches = SUBFORMAT_TAIL.every((b, i) => bytes[f + 26 + i] === b);
    encoding = tailMatches ? FORMAT_TAGS[subformat] : undefined;
    if (!encoding) throw fail(`unsupported WAVE_FORMAT_EXTENSIBLE sub-format (0x${subformat.toString(16)})`);
  } else if (!encoding) {
    throw fail(
      `unsupported format tag 0x${formatTag.toString(16).padStart(4, '0')}; supported: PCM, IEEE float, A-law, µ-law`,
    );
  }

  if (channels === 0) throw fail('the "fmt " chunk declares 0 channels');
  if (channels > MAX_CHANNELS) throw fail(`the "fmt " chunk declares ${channels} channels, more than ${MAX_CHANNELS}`);
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw fail(`sample rate ${sampleRate} Hz is outside the supported ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`);
  }
  if (!ALLOWED_BITS[encoding].includes(bitsPerSample)) {
    throw fail(
      `${bitsPerSample}-bit ${encoding} samples are not supported (expected ${ALLOWED_BITS[encoding].join(', ')})`,
    );
  }
  const expectedAlign = channels * (bitsPerSample / 8);
  if (blockAlign !== expectedAlign) {
    throw fail(
      `block align ${blockAlign} does not match ${channels} channel(s) × ${bitsPerSample} bits (${expectedAlign})`,
    );
  }
  if (byteRate !== sampleRate * blockAlign) {
    throw fail(
      `byte rate ${byteRate} is inconsistent with ${sampleRate} Hz × ${blockAlign}-byte frames (${sampleRate * blockAlign})`,
    );
  }
  if (data.size === 0) throw fail('the "data" chunk holds no samples');
  if (data.size % blockAlign !== 0) {
    throw fail(`the "data" chunk has ${data.size} bytes, not a whole number of ${blockAlign}-byte frames`);
  }
  return {
    encoding,
    formatTag,
    channels,
    sampleRate,
    bitsPerSample,
    blockAlign,
    dataOffset: data.offset,
    dataBytes: data.size,
    frames: data.size / blockAlign,
  };
}

/**
 * What wavefile's parser is handed: the file itself when wavefile reads it within its bounds, else
 * the narrowest stand-in. wavefile (11.0) trusts every count in a file, and for these cases of files
 * `parseWavHeader` accepts it cannot parse the file itself (each measured on wavefile 11.0):
 * - a `cue ` chunk whose point count is larger than the chunk (12 bytes declaring 2^32 − 1 points)
 *   or a `smpl` chunk likewise with its loops: it loops the count, pushing objects (ran > 20 s);
 * - a second `LIST` chunk, or a `LIST` whose sub-chunks do not tile it: its LIST walk runs to the
 *   end of the buffer, not of the chunk, and recurses at every `LIST` it meets (two LIST INFO chunks
 *   throw a TypeError; n nested ones cost 2^n);
 * - WAVE_FORMAT_EXTENSIBLE with a float, A-law or µ-law sub-format: it takes the bit depth alone and
 *   decodes them as integer PCM;
 * - a chunk shorter than the fields wavefile reads from it (`fmt ` extension, `fact`, `bext`,
 *   `ds64`, `ltxt`, `labl`, `note`), or one whose size runs past the RIFF end: it reads on into the
 *   next bytes or past the buffer;
 * - a `junk` chunk over 64 KiB: it copies it into a plain array of numbers.
 * For those files wavefile is given a 44-byte RIFF header written from the checked fields (the
 * basic format tag, channels, rate, bits; no other chunk). Either way wavefile reads no sample
 * bytes: the caller points it at the data chunk in place.
 */
import type { WavHeader } from './riff-header.js';

const EXTENSIBLE = 0xfffe;
/** wavefile copies a `junk` chunk into a plain array (8 bytes or more a byte); larger ones get the stand-in. */
const MAX_JUNK_BYTES = 64 * 1024;
const BASIC_TAGS = { pcm: 1, float: 3, alaw: 6, mulaw: 7 } as const;

/** The fewest bytes wavefile reads from a chunk (or LIST sub-chunk) of this id, whatever its size says. */
const FIELD_BYTES: Readonly<Record<string, number>> = {
  'fmt ': 16,
  fact: 4,
  'cue ': 4,
  smpl: 36,
  bext: 602,
  ds64: 28,
  ltxt: 20,
  labl: 4,
  note: 4,
};

function fourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

/** Whether the chunks from `from` to `end` (RIFF walk, padded to even) each fit and hold what wavefile reads of them. */
function chunksFit(bytes: Uint8Array, view: DataView, from: number, end: number, inList: boolean): number | false {
  let lists = 0;
  let offset = from;
  while (offset + 8 <= end) {
    const id = fourcc(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (size > end - body || size < (FIELD_BYTES[id] ?? 0)) return false;
    if (id === 'cue ' && 4 + 24 * view.getUint32(body, true) > size) return false;
    if (id === 'smpl' && 36 + 24 * view.getUint32(body + 28, true) > size) return false;
    // Past 16 bytes wavefile reads the extension by steps: cbSize (18), valid bits (20), then 20 more.
    if (id === 'fmt ' && (size > 20 ? size < 40 : size % 2 === 1)) return false;
    if (id === 'junk' && size > MAX_JUNK_BYTES) return false;
    if (id === 'LIST') {
      if (inList || ++lists > 1 || size < 4) return false;
      // Its sub-chunks must end where the next chunk starts: wavefile's LIST walk goes on from there.
      const after = chunksFit(bytes, view, body + 4, body + size, true);
      if (after === false || (after !== body + size + (size % 2) && after + 8 <= end)) return false;
    }
    offset = body + size + (size % 2);
  }
  return offset;
}

/** Whether wavefile parses the first `end` bytes of this checked file within its bounds (the header above). */
export function wavefileReadsItself(bytes: Uint8Array, header: WavHeader, end: number): boolean {
  if (header.formatTag === EXTENSIBLE && header.encoding !== 'pcm') return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, end);
  return chunksFit(bytes, view, 12, end, false) !== false;
}

/** A RIFF header of the checked fields alone: `fmt ` (basic tag) and an empty-bodied `data` chunk header. */
function basicHeader(header: WavHeader): Uint8Array {
  const out = new Uint8Array(44);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) out[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + header.dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, BASIC_TAGS[header.encoding], true);
  view.setUint16(22, header.channels, true);
  view.setUint32(24, header.sampleRate, true);
  view.setUint32(28, header.sampleRate * header.blockAlign, true);
  view.setUint16(32, header.blockAlign, true);
  view.setUint16(34, header.bitsPerSample, true);
  ascii(36, 'data');
  view.setUint32(40, header.dataBytes, true);
  return out;
}

/** The bytes to hand `WaveFile.fromBuffer(…, false)`: the file up to its RIFF end (no copy), or the basic header. */
export function wavefileInput(bytes: Uint8Array, header: WavHeader): Uint8Array {
  const end = 8 + new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  return wavefileReadsItself(bytes, header, end) ? bytes.subarray(0, end) : basicHeader(header);
}

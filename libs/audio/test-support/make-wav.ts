/**
 * Builds WAV files byte by byte for tests, including deliberately broken ones: every header field
 * can be overridden (sizes, rates, counts), extra chunks inserted, the container id changed.
 */
export interface WavSpec {
  readonly formatTag?: number; // default 1 (PCM)
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** Interleaved sample bytes. */
  readonly data: Uint8Array;
  readonly blockAlign?: number;
  readonly byteRate?: number;
  /** Writes WAVE_FORMAT_EXTENSIBLE with this sub-format tag. */
  readonly extensibleSubformat?: number;
  /** Overrides the declared data-chunk size. */
  readonly dataSize?: number;
  /** Overrides the RIFF size field. */
  readonly riffSize?: number;
  readonly container?: string;
  readonly form?: string;
  /** Chunks written between "fmt " and "data" (odd sizes get their pad byte). */
  readonly extraChunks?: readonly { id: string; body: Uint8Array }[];
  readonly omitFmt?: boolean;
  readonly omitData?: boolean;
}

function chunk(id: string, body: Uint8Array, declaredSize = body.length): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length % 2));
  for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, declaredSize, true);
  out.set(body, 8);
  return out;
}

export function buildWav(spec: WavSpec): Uint8Array {
  const blockAlign = spec.blockAlign ?? (spec.channels * spec.bitsPerSample) / 8;
  const extensible = spec.extensibleSubformat !== undefined;
  const fmt = new Uint8Array(extensible ? 40 : 16);
  const v = new DataView(fmt.buffer);
  v.setUint16(0, extensible ? 0xfffe : (spec.formatTag ?? 1), true);
  v.setUint16(2, spec.channels, true);
  v.setUint32(4, spec.sampleRate, true);
  v.setUint32(8, spec.byteRate ?? spec.sampleRate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, spec.bitsPerSample, true);
  if (extensible) {
    v.setUint16(16, 22, true); // cbSize
    v.setUint16(18, spec.bitsPerSample, true); // valid bits
    v.setUint32(20, 0, true); // channel mask
    v.setUint16(24, spec.extensibleSubformat!, true);
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  const parts = [
    ...(spec.omitFmt ? [] : [chunk('fmt ', fmt)]),
    ...(spec.extraChunks ?? []).map((c) => chunk(c.id, c.body)),
    ...(spec.omitData ? [] : [chunk('data', spec.data, spec.dataSize)]),
  ];
  const bodyLength = parts.reduce((n, p) => n + p.length, 4);
  const out = new Uint8Array(8 + bodyLength);
  const head = spec.container ?? 'RIFF';
  const form = spec.form ?? 'WAVE';
  for (let i = 0; i < 4; i++) {
    out[i] = head.charCodeAt(i);
    out[8 + i] = form.charCodeAt(i);
  }
  new DataView(out.buffer).setUint32(4, spec.riffSize ?? bodyLength, true);
  let at = 12;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Interleaves per-channel integer or float values into little-endian sample bytes. */
export function encodeSamples(
  channels: readonly (readonly number[])[],
  kind: 'int' | 'uint8' | 'float',
  bits: number,
): Uint8Array {
  const frames = channels[0]?.length ?? 0;
  const bytes = bits / 8;
  const out = new Uint8Array(frames * channels.length * bytes);
  const v = new DataView(out.buffer);
  let at = 0;
  for (let i = 0; i < frames; i++) {
    for (const channel of channels) {
      const x = channel[i]!;
      if (kind === 'float') {
        if (bits === 32) v.setFloat32(at, x, true);
        else v.setFloat64(at, x, true);
      } else if (kind === 'uint8') {
        v.setUint8(at, x);
      } else if (bits === 16) v.setInt16(at, x, true);
      else if (bits === 32) v.setInt32(at, x, true);
      else if (bits === 24) {
        const u = x < 0 ? x + 0x1000000 : x;
        out[at] = u & 0xff;
        out[at + 1] = (u >> 8) & 0xff;
        out[at + 2] = (u >> 16) & 0xff;
      } else throw new Error(`encodeSamples: unsupported ${bits}-bit ${kind}`);
      at += bytes;
    }
  }
  return out;
}

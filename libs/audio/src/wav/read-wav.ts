/**
 * WAV bytes -> mono Float32 samples in [-1, 1] at the file's own sample rate.
 *
 * `parseWavHeader` first checks what wavefile does not (sizes against the bytes present, chunk
 * lengths that lie, formats and limits we refuse) and finds the data chunk; wavefile then parses
 * the file's header once (`wavefile-input.ts`: the few files it cannot read get a stand-in header)
 * and decodes the data chunk in place, without a copy. Channels are averaged. A caller that
 * checks a request's sounds before decoding any (`readWavHeader`) hands `readWav` the checked
 * file, so its chunks are walked once.
 */
import wavefile from 'wavefile';
import { z } from 'zod';
import { UnmaskError } from '@unmask/core';
import { parseWavHeader, type WavEncoding, type WavHeader } from './riff-header.js';
import { wavefileInput } from './wavefile-input.js';

export const wavLimitsSchema = z.object({
  /** Largest accepted file, in bytes (default 20 MiB). */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  /** Longest accepted recording, in seconds (default 30, Whisper's window). */
  maxSeconds: z.number().positive().default(30),
});
export type WavLimits = z.infer<typeof wavLimitsSchema>;
export type WavLimitsInput = z.input<typeof wavLimitsSchema>;

export interface DecodedAudio {
  /** Mono samples (channels averaged) in [-1, 1]. */
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** Channels in the file before averaging. */
  readonly channels: number;
  readonly encoding: WavEncoding;
  readonly bitsPerSample: number;
  readonly durationSeconds: number;
}

export interface ReadWavOptions extends WavLimitsInput {
  /** Names the input in error messages (a file name, a form field). */
  readonly name?: string;
}

/** Divisor that maps integer samples (as wavefile returns them) to [-1, 1). */
function scaleFor(encoding: WavEncoding, bits: number): { offset: number; scale: number } {
  if (encoding === 'float') return { offset: 0, scale: 1 };
  if (encoding === 'alaw' || encoding === 'mulaw') return { offset: 0, scale: 1 / 32768 }; // expanded to 16 bit
  if (bits === 8) return { offset: -128, scale: 1 / 128 }; // 8-bit PCM is unsigned
  return { offset: 0, scale: 1 / 2 ** (bits - 1) };
}

/** A WAV file whose header `readWavHeader` checked, ready for `readWav` without a second walk. */
export interface CheckedWav {
  readonly bytes: Uint8Array;
  readonly header: WavHeader;
  readonly durationSeconds: number;
  /** The name its errors carry. */
  readonly name: string;
  /** What wavefile's parser is given (`wavefile-input.ts`): the file itself or a stand-in header. */
  readonly parserInput: Uint8Array;
}

/**
 * The cheap part of `readWav`: the byte-size limit, the RIFF header checked, the duration it
 * declares against `maxSeconds`; no sample is decoded. A request's sounds get this before any
 * of them is decoded.
 */
export function readWavHeader(bytes: Uint8Array, options: ReadWavOptions = {}): CheckedWav {
  const name = options.name ?? 'audio';
  const parsed = wavLimitsSchema.safeParse({ maxBytes: options.maxBytes, maxSeconds: options.maxSeconds });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'limits');
    throw new UnmaskError('invalid_parameter', `readWav: ${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  const limits = parsed.data;
  if (bytes.length > limits.maxBytes) {
    throw new UnmaskError(
      'too_large',
      `${name}: ${bytes.length} bytes exceeds the limit of ${limits.maxBytes} bytes`,
      name,
    );
  }
  const header = parseWavHeader(bytes, name);
  const durationSeconds = header.frames / header.sampleRate;
  if (durationSeconds > limits.maxSeconds) {
    throw new UnmaskError(
      'too_large',
      `${name}: ${durationSeconds.toFixed(2)} s of audio exceeds the limit of ${limits.maxSeconds} s`,
      name,
    );
  }
  return { bytes, header, durationSeconds, name, parserInput: wavefileInput(bytes, header) };
}

/**
 * Decodes a WAV file to mono: its bytes (checked here against `options`), or a file
 * `readWavHeader` already checked (its limits and name were applied then; `options` is not read).
 * Errors: `too_large` past `maxBytes` / `maxSeconds`, `invalid_media` for anything malformed
 * (each message names the problem).
 */
export function readWav(input: Uint8Array | CheckedWav, options: ReadWavOptions = {}): DecodedAudio {
  const { bytes, header, durationSeconds, name, parserInput } =
    input instanceof Uint8Array ? readWavHeader(input, options) : input;

  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(parserInput, false);
    // The samples in place: wavefile's own slice would copy them (and read an odd chunk's pad byte as one).
    (wav.data as { samples: Uint8Array }).samples = bytes.subarray(
      header.dataOffset,
      header.dataOffset + header.dataBytes,
    );
    if (header.encoding === 'alaw') wav.fromALaw();
    if (header.encoding === 'mulaw') wav.fromMuLaw();
  } catch (error) {
    throw new UnmaskError('invalid_media', `${name}: the WAV decoder failed: ${(error as Error).message}`, name, {
      cause: error,
    });
  }
  // Interleaved output is markedly faster in wavefile than one array per channel.
  const interleaved = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  const { channels, frames } = header;
  if (!(interleaved instanceof Float64Array) || interleaved.length !== channels * frames) {
    throw new UnmaskError('invalid_media', `${name}: the WAV decoder returned an unexpected number of samples`, name);
  }
  const { offset, scale } = scaleFor(header.encoding, header.bitsPerSample);
  const gain = scale / channels;
  const samples = new Float32Array(frames);
  for (let i = 0, k = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, k++) {
      const v = interleaved[k]!;
      if (!Number.isFinite(v)) {
        throw new UnmaskError(
          'invalid_media',
          `${name}: sample ${i} of channel ${c} is ${v} (not a finite number)`,
          name,
        );
      }
      sum += v + offset;
    }
    const mono = sum * gain;
    samples[i] = mono > 1 ? 1 : Math.max(mono, -1); // float files may exceed full scale
  }
  return {
    samples,
    sampleRate: header.sampleRate,
    channels,
    encoding: header.encoding,
    bitsPerSample: header.bitsPerSample,
    durationSeconds,
  };
}

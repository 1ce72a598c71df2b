/**
 * Fuzz targets for the WAV reader: valid files of every supported encoding, mutated byte-wise,
 * through the RIFF header check, the sample decoder and the whole path to log-mel features.
 * A clean result has at most one sample per input byte, every sample finite and in [-1, 1].
 */
import { FuzzFinding, mutatedBytes, type FuzzTarget } from '@unmask/core/fuzz';
import { WhisperFeatureExtractor } from './log-mel.js';
import { wavToInputFeatures } from './input-features.js';
import { readWav } from './wav/read-wav.js';

interface SeedFormat {
  readonly tag: number;
  readonly channels: number;
  readonly rate: number;
  readonly bits: number;
  readonly frames: number;
  /** A LIST chunk before the data, and WAVE_FORMAT_EXTENSIBLE. */
  readonly extra?: boolean;
}

function wavSeed(f: SeedFormat): Uint8Array {
  const align = (f.channels * f.bits) / 8;
  const dataBytes = f.frames * align;
  const fmtSize = f.extra ? 40 : 16;
  const list = f.extra ? 8 + 10 : 0;
  const out = Buffer.alloc(12 + 8 + fmtSize + list + 8 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(out.length - 8, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(fmtSize, 16);
  out.writeUInt16LE(f.extra ? 0xfffe : f.tag, 20);
  out.writeUInt16LE(f.channels, 22);
  out.writeUInt32LE(f.rate, 24);
  out.writeUInt32LE(f.rate * align, 28);
  out.writeUInt16LE(align, 32);
  out.writeUInt16LE(f.bits, 34);
  let at = 36;
  if (f.extra) {
    out.writeUInt16LE(22, 36);
    out.writeUInt16LE(f.bits, 38);
    out.writeUInt32LE(0, 40);
    out.writeUInt16LE(f.tag, 44);
    Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]).copy(out, 46);
    at = 60;
    out.write('LIST', at, 'ascii');
    out.writeUInt32LE(10, at + 4);
    out.write('INFOISFT\0\0', at + 8, 'latin1');
    at += 18;
  }
  out.write('data', at, 'ascii');
  out.writeUInt32LE(dataBytes, at + 4);
  for (let i = 0; i < dataBytes; i++) out[at + 8 + i] = (i * 37 + 11) & 0xff;
  if (f.tag === 3 && f.bits === 32)
    for (let i = 0; i < dataBytes / 4; i++) out.writeFloatLE(Math.sin(i / 3) * 0.5, at + 8 + i * 4);
  return new Uint8Array(out);
}

export const WAV_SEEDS: readonly Uint8Array[] = [
  wavSeed({ tag: 1, channels: 1, rate: 16000, bits: 16, frames: 64 }),
  wavSeed({ tag: 1, channels: 2, rate: 44100, bits: 8, frames: 40 }),
  wavSeed({ tag: 1, channels: 1, rate: 8000, bits: 24, frames: 30 }),
  wavSeed({ tag: 3, channels: 1, rate: 22050, bits: 32, frames: 32 }),
  wavSeed({ tag: 6, channels: 1, rate: 8000, bits: 8, frames: 48 }),
  wavSeed({ tag: 7, channels: 2, rate: 16000, bits: 8, frames: 24 }),
  wavSeed({ tag: 1, channels: 2, rate: 48000, bits: 16, frames: 20, extra: true }),
];

function checkSamples(samples: Float32Array, bytes: Uint8Array): void {
  if (samples.length > bytes.length)
    throw new FuzzFinding(`${samples.length} samples from ${bytes.length} bytes: allocation not bounded by the input`);
  for (const s of samples) if (!(s >= -1 && s <= 1)) throw new FuzzFinding(`a sample is ${s}, outside [-1, 1]`);
}

export const readWavTarget: FuzzTarget<Uint8Array> = {
  name: 'audio.readWav',
  arbitrary: mutatedBytes(WAV_SEEDS),
  run(bytes) {
    const audio = readWav(bytes, { maxBytes: 1 << 20, maxSeconds: 30 });
    checkSamples(audio.samples, bytes);
    if (audio.durationSeconds > 30) throw new FuzzFinding(`${audio.durationSeconds} s passed a 30 s limit`);
  },
};

const extractor = new WhisperFeatureExtractor({ padding: 'longest' });

export const wavFeaturesTarget: FuzzTarget<Uint8Array> = {
  name: 'audio.wavToInputFeatures',
  arbitrary: mutatedBytes(WAV_SEEDS),
  run(bytes) {
    const features = wavToInputFeatures(bytes, extractor, { maxBytes: 1 << 20, maxSeconds: 30 });
    for (const v of features.input_features)
      if (!Number.isFinite(v)) throw new FuzzFinding(`a log-mel feature is ${v}`);
  },
};

export const fuzzTargets = [readWavTarget, wavFeaturesTarget];

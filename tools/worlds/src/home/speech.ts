import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rng } from '../rng.js';

/** The English espeak-ng voices of the spec; each may carry a `+m1`…`+m7` or `+f1`…`+f4` variant. */
export const BASE_VOICES = ['en', 'en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-029'] as const;
export const VOICE_VARIANTS = [
  '',
  '+m1',
  '+m2',
  '+m3',
  '+m4',
  '+m5',
  '+m6',
  '+m7',
  '+f1',
  '+f2',
  '+f3',
  '+f4',
] as const;
export const MIN_RATE = 130;
export const MAX_RATE = 190;
export const MIN_PITCH = 30;
export const MAX_PITCH = 70;
/** espeak-ng's output sample rate. */
export const ESPEAK_SAMPLE_RATE = 22050;

export interface VoiceSettings {
  voice: string;
  /** Words per minute, 130–190. */
  rate: number;
  /** 30–70. */
  pitch: number;
}

export interface Waveform {
  samples: Float32Array;
  sampleRate: number;
}

export type NoiseKind = 'white' | 'pink';

export interface WavFormat {
  sampleRate: number;
  bits: 8 | 16 | 24 | 32;
  /** PCM integers, or 32-bit float. */
  encoding: 'pcm' | 'float';
  channels: 1 | 2;
}

export function sampleVoice(rng: Rng): VoiceSettings {
  return {
    voice: `${rng.pick(BASE_VOICES)}${rng.pick(VOICE_VARIANTS)}`,
    rate: rng.int(MIN_RATE, MAX_RATE),
    pitch: rng.int(MIN_PITCH, MAX_PITCH),
  };
}

/** Speaks the text with espeak-ng and returns mono float samples at 22.05 kHz (sox converts the WAV to raw float). */
export function synthesise(text: string, settings: VoiceSettings): Waveform {
  const wav = execFileSync(
    'espeak-ng',
    ['--stdout', '-v', settings.voice, '-s', String(settings.rate), '-p', String(settings.pitch), text],
    {
      maxBuffer: 64 << 20,
    },
  );
  const raw = execFileSync(
    'sox',
    ['-V1', '-t', 'wav', '-', '-t', 'f32', '-c', '1', '-r', String(ESPEAK_SAMPLE_RATE), '-'],
    {
      input: wav,
      maxBuffer: 64 << 20,
    },
  );
  const samples = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { samples, sampleRate: ESPEAK_SAMPLE_RATE };
}

/**
 * The waveform at `sampleRate` by taking, for each output sample, the input sample at or before its
 * time: no low-pass filter, so what lies above the new Nyquist frequency folds back (aliasing).
 * What naive resamplers in apps and scripts do (the demo's sample clips were made so until build
 * 12). Used as a degradation real uploads carry (`SpeechVariant.resampling`), never as the
 * conversion itself.
 */
export function resampleNearest(wave: Waveform, sampleRate: number): Waveform {
  const step = wave.sampleRate / sampleRate;
  const out = new Float32Array(Math.floor(wave.samples.length / step));
  for (let i = 0; i < out.length; i++) out[i] = wave.samples[Math.floor(i * step)] ?? 0;
  return { samples: out, sampleRate };
}

/** Adds leading and trailing silence (seconds, each 0–0.5 in the spec). */
export function padSilence(wave: Waveform, before: number, after: number): Waveform {
  const b = Math.round(before * wave.sampleRate);
  const a = Math.round(after * wave.sampleRate);
  const out = new Float32Array(b + wave.samples.length + a);
  out.set(wave.samples, b);
  return { samples: out, sampleRate: wave.sampleRate };
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** White or pink noise (Paul Kellet's filter over white noise), unit RMS. */
export function makeNoise(rng: Rng, length: number, kind: NoiseKind): Float32Array {
  const out = new Float32Array(length);
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    b3 = 0,
    b4 = 0,
    b5 = 0,
    b6 = 0;
  for (let i = 0; i < length; i++) {
    const w = rng.normal();
    if (kind === 'white') {
      out[i] = w;
      continue;
    }
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  const r = rms(out) || 1;
  for (let i = 0; i < length; i++) out[i] = (out[i] as number) / r;
  return out;
}

/**
 * Adds noise at the given signal-to-noise ratio (dB), measured against the RMS of the speech
 * (`speechRms`, from the waveform before any silence padding).
 */
export function addNoise(wave: Waveform, speechRms: number, snrDb: number, kind: NoiseKind, rng: Rng): Waveform {
  const noise = makeNoise(rng, wave.samples.length, kind);
  const scale = speechRms / 10 ** (snrDb / 20);
  const out = new Float32Array(wave.samples.length);
  for (let i = 0; i < out.length; i++) out[i] = (wave.samples[i] as number) + (noise[i] as number) * scale;
  return { samples: out, sampleRate: wave.sampleRate };
}

/**
 * Encodes a waveform as a WAV file in the given format, with sox doing rate, depth and channel
 * conversion (dither off for reproducibility). sox writes to a temporary file, because a WAV
 * written to a pipe carries a wrong length in its header.
 */
export function encodeWav(wave: Waveform, format: WavFormat): Buffer {
  const peak = wave.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
  const samples = peak > 0.99 ? wave.samples.map((s) => (s * 0.99) / peak) : wave.samples;
  const input = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const enc =
    format.encoding === 'float'
      ? ['-e', 'floating-point', '-b', '32']
      : ['-e', format.bits === 8 ? 'unsigned-integer' : 'signed-integer', '-b', String(format.bits)];
  const dir = mkdtempSync(join(tmpdir(), 'unmask-speech-'));
  const out = join(dir, 'speech.wav');
  try {
    execFileSync(
      'sox',
      [
        '-D',
        '-t',
        'f32',
        '-c',
        '1',
        '-r',
        String(wave.sampleRate),
        '-',
        '-t',
        'wav',
        ...enc,
        '-c',
        String(format.channels),
        '-r',
        String(format.sampleRate),
        out,
      ],
      { input, maxBuffer: 64 << 20 },
    );
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SpeechVariant {
  voice: VoiceSettings;
  silenceBefore: number;
  silenceAfter: number;
  noise: { kind: NoiseKind; snrDb: number } | null;
  format: WavFormat;
  /**
   * How the speech reaches the file's sample rate: `band-limited` (default; sox) or `nearest`
   * (resampleNearest, aliasing). Never drawn by sampleSpeechVariant: a degradation to measure.
   */
  resampling?: 'band-limited' | 'nearest';
}

const SAMPLE_RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000] as const;

/** A random spoken-audio variant inside the spec. */
export function sampleSpeechVariant(rng: Rng): SpeechVariant {
  const float = rng.bool(0.15);
  return {
    voice: sampleVoice(rng),
    silenceBefore: rng.uniform(0, 0.5),
    silenceAfter: rng.uniform(0, 0.5),
    noise: rng.bool(0.5) ? { kind: rng.bool() ? 'white' : 'pink', snrDb: rng.uniform(15, 40) } : null,
    format: {
      sampleRate: rng.pick(SAMPLE_RATES),
      bits: float ? 32 : rng.pick([8, 16, 16, 24, 32] as const),
      encoding: float ? 'float' : 'pcm',
      channels: rng.bool(0.2) ? 2 : 1,
    },
  };
}

/** Speaks text with a variant: voice, silence, noise, resampling and WAV format. `rng` seeds the noise. */
export function renderSpeech(text: string, variant: SpeechVariant, rng: Rng): Buffer {
  const spoken = synthesise(text, variant.voice);
  let wave = padSilence(spoken, variant.silenceBefore, variant.silenceAfter);
  if (variant.noise) wave = addNoise(wave, rms(spoken.samples), variant.noise.snrDb, variant.noise.kind, rng);
  if (variant.resampling === 'nearest') wave = resampleNearest(wave, variant.format.sampleRate);
  return encodeWav(wave, variant.format);
}

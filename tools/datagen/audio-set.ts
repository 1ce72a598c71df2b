/**
 * Audio training data for the default model's audio stages: smart-home commands and spoken
 * shapes-world questions, spoken by random espeak-ng voices with the spec's noise, silence and
 * WAV formats, then read, resampled and featurised by libs/audio exactly as at inference.
 * Writes
 *   input_features.npy  float16 [total_frames, n_mels]  every clip's log-mel frames, time-major
 *   frames.npy          int32 [N]                        frames per clip (offsets by cumulative sum)
 *   clips.jsonl         {text, kind: "command" | "question" | "copy", intent? (commands), question? (questions), voice, format,
 *                       resampling? ("nearest": the clip was resampled by nearest sample, aliasing)}
 *   feature_extractor.json  the feature extractor config used (the bundle manifest copies it)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WhisperFeatureExtractor, wavToInputFeatures } from '@unmask/audio';
import {
  allQuestions,
  MORE_WORDINGS,
  renderSpeech,
  sampleSpeechVariant,
  sampleSpokenEnglish,
  sampleUtterance,
  spokenShapePrompt,
  WORDINGS,
  type Rng,
  type WordingSplit,
} from '../worlds/src/index.js';
import { NpyRowAppender, writeNpy } from './npy.js';

/** The default model's feature extractor: Whisper's 80-bin log-mel, no 30 s padding. */
export const DEFAULT_FEATURE_EXTRACTOR = {
  feature_extractor_type: 'WhisperFeatureExtractor',
  feature_size: 80,
  sampling_rate: 16000,
  hop_length: 160,
  n_fft: 400,
  chunk_length: 30,
  padding_value: 0,
  padding: 'longest',
} as const;

export interface AudioSetOptions {
  readonly count: number;
  readonly rng: Rng;
  readonly out: string;
  /** Share of clips that are spoken shapes questions (the rest are commands). */
  readonly questionShare?: number;
  readonly featureExtractor?: Record<string, unknown>;
  /**
   * `table`: commands and questions worded as docs/worlds.md's tables; `train` (default): the
   * training set's wordings (commands from the table and the further wordings half each, questions
   * in the trained frames three times in four: tools/worlds/src/wordings).
   */
  readonly wording?: Extract<WordingSplit, 'table' | 'train'>;
  /**
   * Share of clips resampled to their file's rate by nearest sample (aliasing, as naive resamplers
   * do: SpeechVariant.resampling), drawn from `rng` of its own so the clips are otherwise the ones
   * the set has without it. Default: none.
   */
  readonly aliased?: { readonly share: number; readonly rng: Rng };
  /**
   * Share of clips whose words are an everyday English sentence instead (kind `copy`: WordNet
   * examples, no world or held-out word; tools/worlds/src/wordings/english.ts), drawn from `rng` of
   * its own; the clip's command or question is drawn all the same and its words replaced. Only to
   * transcribe: tools/train/make_pairs.ts gives such a clip a transcript pair and nothing else.
   * Default: none.
   */
  readonly copy?: { readonly share: number; readonly rng: Rng };
  readonly onProgress?: (done: number) => void;
}

export function writeAudioSet(options: AudioSetOptions): void {
  const { count, rng, out } = options;
  const config = options.featureExtractor ?? DEFAULT_FEATURE_EXTRACTOR;
  const extractor = new WhisperFeatureExtractor(config);
  const mels = extractor.config.feature_size;
  const questions = allQuestions();
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'feature_extractor.json'), `${JSON.stringify(config, null, 2)}\n`);
  // Each clip's frames go to the file as they come: holding them would slow every later subprocess.
  const features = new NpyRowAppender(join(out, 'input_features.npy'), 'float16', [mels]);
  const frameCounts: number[] = [];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const question = rng.next() < (options.questionShare ?? 0.35);
    const wording = options.wording ?? 'train';
    const utterance = question
      ? undefined
      : sampleUtterance(rng, wording === 'train' && rng.bool() ? MORE_WORDINGS : WORDINGS);
    const asked = question ? rng.pick(questions) : undefined;
    const drawnText = utterance ? utterance.text : spokenShapePrompt(rng, asked!, wording);
    const copy = options.copy?.rng.bool(options.copy.share) ?? false;
    const text = copy ? sampleSpokenEnglish(options.copy!.rng) : drawnText;
    const drawn = sampleSpeechVariant(rng);
    const aliased = options.aliased?.rng.bool(options.aliased.share) ?? false;
    const variant = aliased ? { ...drawn, resampling: 'nearest' as const } : drawn;
    const wav = renderSpeech(text, variant, rng);
    const { input_features } = wavToInputFeatures(new Uint8Array(wav), extractor);
    const frames = input_features.length / mels;
    // [n_mels, frames] → time-major [frames, n_mels] so clips concatenate along the first axis.
    const timeMajor = new Float32Array(frames * mels);
    for (let m = 0; m < mels; m++)
      for (let t = 0; t < frames; t++) timeMajor[t * mels + m] = input_features[m * frames + t] as number;
    features.append(timeMajor);
    frameCounts.push(frames);
    lines.push(
      JSON.stringify({
        text,
        kind: copy ? 'copy' : question ? 'question' : 'command',
        ...(utterance && !copy ? { intent: utterance.intent } : {}),
        ...(asked && !copy ? { question: asked } : {}),
        voice: variant.voice,
        format: variant.format,
        ...(aliased ? { resampling: 'nearest' } : {}),
      }),
    );
    options.onProgress?.(i + 1);
  }
  features.close();
  writeNpy(join(out, 'frames.npy'), 'int32', [count], frameCounts);
  writeFileSync(join(out, 'clips.jsonl'), `${lines.join('\n')}\n`);
}

/**
 * Where the three parts of a DIFFA model come from. DIFFA ships as users download it: the DIFFA
 * folder (config.json with `llm_config` / `whisper_config`, the adapters in pytorch_model.bin),
 * GSAI-ML/LLaDA-8B-Instruct and openai/whisper-small; its inference scripts
 * (NKU-HLT/DIFFA, inference_stage2_*.py) load the tokenizer and the LM from the LLaDA folder and the
 * encoder and feature extractor from the Whisper folder, replacing whatever the DIFFA state dict
 * holds under `llm_model.` / `whisper_model.`. Each part is taken from, in order: the folder given
 * (`--lm`, `--whisper`), the DIFFA folder itself when it holds that part (a hand-merged folder),
 * or the one folder beside the DIFFA folder whose config.json is that model's.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UnmaskError } from '@unmask/core';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { type LmArchitecture, readArchitecture } from '../lm/checkpoint-config.js';
import { parseWhisperEncoderConfig, type WhisperEncoderConfig } from '../towers/whisper-encoder-graph.js';
import type { DiffaPlan } from './multimodal-config.js';

/** Tensors of the DIFFA state dict the bundle does not use, and why. */
export const DIFFA_UNUSED: ReadonlyArray<readonly [prefix: string, reason: string]> = [
  [
    'trainable_prompts.',
    "DIFFA's 20 learned prompt embeddings (nn.Embedding(20, d)) are prepended to the audio only in training stage 1 (DIFFAModel.prompt_wrap); stage-2 inference (get_speech_features, stage 2) does not use them",
  ],
];

export interface DiffaPart {
  /** The folder the part is read from. */
  readonly dir: string;
  readonly checkpoint: CheckpointTensors;
  /** How it was found (for the CLI's notes). */
  readonly source: string;
}

export interface DiffaSources {
  readonly lm: DiffaPart & { readonly arch: LmArchitecture; readonly separate: boolean };
  readonly whisper: DiffaPart & {
    readonly config: WhisperEncoderConfig;
    /** preprocessor_config.json with the WhisperFeatureExtractor settings. */
    readonly featureExtractorFile: string;
    readonly separate: boolean;
  };
  /** DIFFA-folder tensor prefixes left out of the bundle, with the reason. */
  readonly unused: ReadonlyArray<readonly [string, string]>;
}

const LM_EMBEDDINGS = ['model.transformer.wte.weight', 'model.embed_tokens.weight'];

function configOf(dir: string): Record<string, unknown> | undefined {
  try {
    const raw: unknown = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const isLlada = (c: Record<string, unknown>) =>
  c.model_type === 'llada' || (Array.isArray(c.architectures) && c.architectures.includes('LLaDAModelLM'));
const isWhisper = (c: Record<string, unknown>) => c.model_type === 'whisper';

/** The one folder beside `from` whose config.json passes `test`, or an error naming the flag. */
function beside(from: string, test: (c: Record<string, unknown>) => boolean, flag: string, what: string): string {
  const parent = dirname(from);
  const found = readdirSync(parent)
    .map((name) => join(parent, name))
    .filter((dir) => dir !== from && statSync(dir).isDirectory())
    .filter((dir) => {
      const config = configOf(dir);
      return config !== undefined && test(config);
    });
  if (found.length === 1) return found[0]!;
  throw new UnmaskError(
    'invalid_bundle',
    found.length === 0
      ? `${from}: the DIFFA checkpoint holds no ${what} and no folder beside it has one: give ${flag} DIR`
      : `${from}: several folders beside the DIFFA checkpoint hold a ${what} (${found.map((d) => basename(d)).join(', ')}): choose one with ${flag} DIR`,
    flag,
  );
}

function checkFolder(dir: string, flag: string): string {
  const full = resolve(dir);
  if (!existsSync(join(full, 'config.json')))
    throw new UnmaskError('invalid_bundle', `${flag} ${full}: has no config.json`, flag);
  return full;
}

export function diffaSources(
  plan: DiffaPlan,
  from: string,
  checkpoint: CheckpointTensors,
  options: { readonly lm?: string; readonly whisper?: string },
): DiffaSources {
  const names = [...checkpoint.tensors.keys()];
  const embeddedLm = names.some((n) => LM_EMBEDDINGS.some((e) => n === e || n.endsWith(`.${e}`)));
  const embeddedWhisper = names.some((n) => n === 'conv1.weight' || n.endsWith('.conv1.weight'));

  let lm: DiffaSources['lm'];
  if (options.lm === undefined && embeddedLm) {
    lm = { dir: from, checkpoint, arch: plan.lm, separate: false, source: 'the DIFFA folder (llm_config)' };
  } else {
    const dir =
      options.lm === undefined
        ? beside(from, isLlada, '--lm', 'LLaDA language model')
        : checkFolder(options.lm, '--lm');
    const config = configOf(dir);
    if (!config || !isLlada(config))
      throw new UnmaskError(
        'invalid_bundle',
        `${dir}: config.json is not a LLaDA model's (DIFFA's language model is GSAI-ML/LLaDA-8B-Instruct)`,
        '--lm',
      );
    const arch = readArchitecture(dir);
    if (arch.hiddenSize !== plan.adapter.lmWidth)
      throw new UnmaskError(
        'invalid_bundle',
        `${dir}: the language model is ${arch.hiddenSize} wide, DIFFA's adapters project to ${plan.adapter.lmWidth} (llm_config.d_model)`,
        '--lm',
      );
    lm = {
      dir,
      checkpoint: CheckpointTensors.open(dir),
      arch: { ...arch, modelType: 'diffa' },
      separate: true,
      source: options.lm === undefined ? `${dir} (found beside the DIFFA folder)` : dir,
    };
  }

  let whisper: DiffaSources['whisper'];
  if (options.whisper === undefined && embeddedWhisper) {
    whisper = {
      dir: from,
      checkpoint,
      config: plan.whisper,
      featureExtractorFile: join(from, 'preprocessor_config.json'),
      separate: false,
      source: 'the DIFFA folder (whisper_config)',
    };
  } else {
    const dir =
      options.whisper === undefined
        ? beside(from, isWhisper, '--whisper', 'Whisper model')
        : checkFolder(options.whisper, '--whisper');
    const raw = configOf(dir);
    if (!raw || !isWhisper(raw))
      throw new UnmaskError(
        'invalid_bundle',
        `${dir}: config.json is not a Whisper model's (model_type "whisper"; DIFFA's is openai/whisper-small)`,
        '--whisper',
      );
    const config = parseWhisperEncoderConfig(raw, join(dir, 'config.json'));
    if (config.d_model !== plan.whisper.d_model || config.encoder_layers !== plan.whisper.encoder_layers)
      throw new UnmaskError(
        'invalid_bundle',
        `${dir}: the Whisper encoder (${config.encoder_layers} layers × ${config.d_model}) is not the one DIFFA's whisper_config describes (${plan.whisper.encoder_layers} × ${plan.whisper.d_model})`,
        '--whisper',
      );
    whisper = {
      dir,
      checkpoint: CheckpointTensors.open(dir),
      config,
      featureExtractorFile: join(dir, 'preprocessor_config.json'),
      separate: true,
      source: options.whisper === undefined ? `${dir} (found beside the DIFFA folder)` : dir,
    };
  }

  const unused: [string, string][] = DIFFA_UNUSED.filter(([prefix]) => names.some((n) => n.startsWith(prefix))).map(
    ([p, r]) => [p, r],
  );
  if (lm.separate && names.some((n) => n.startsWith('llm_model.')))
    unused.push(['llm_model.', `replaced by the language model of ${lm.dir}, as DIFFA's inference scripts do`]);
  if (whisper.separate && names.some((n) => n.startsWith('whisper_model.')))
    unused.push([
      'whisper_model.',
      `replaced by the Whisper encoder of ${whisper.dir}, as DIFFA's inference scripts do`,
    ]);
  return { lm, whisper, unused };
}

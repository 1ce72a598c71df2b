/**
 * Synthetic multimodal checkpoints for the converter's end-to-end specs, assembled from the
 * small fixtures already in the project: the bidirectional Llama fixture's weights in LLaDA
 * layout as the LM, the SigLIP or Whisper tower fixture as the tower, and random (seeded)
 * projector / DIFFA adapter weights. Each is laid out as the real checkpoint names its tensors
 * (docs/convert.md), with a config.json in the documented fields and a preprocessor_config.json.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointTensors } from '../src/checkpoint/checkpoint-tensors.js';
import { diffaAdapterShapes, type DiffaAdapterLayout } from '../src/towers/diffa-adapter-layout.js';
import {
  fixtureTensors,
  LLAMA_CHECKPOINT,
  lladaConfig,
  type StoredTensor,
  toLladaName,
  writeSafetensors,
} from './checkpoint-fixtures.js';
import { TOWER_FIXTURES } from './tower-fixtures.js';
import { writeTorchCheckpoint } from './torch-writer.js';

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
export const SIGLIP_FIXTURE = join(TOWER_FIXTURES, 'siglip');
export const WHISPER_FIXTURE = join(TOWER_FIXTURES, 'whisper');
export const LLADA_V_VISION_PREFIX = 'model.vision_tower.vision_tower.vision_model.';

/** Deterministic pseudo-random values in (−scale, scale). */
function random(n: number, seed: number, scale = 0.2): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  });
}

function towerTensors(dir: string, rename: (name: string) => string | undefined): Map<string, StoredTensor> {
  const checkpoint = CheckpointTensors.open(dir);
  const out = new Map<string, StoredTensor>();
  for (const t of checkpoint.tensors.values()) {
    const name = rename(t.name);
    if (name !== undefined) out.set(name, { dtype: 'F32', shape: t.shape, data: checkpoint.readFloat32(t.name) });
  }
  return out;
}

function lmTensors(prefix = ''): Map<string, StoredTensor> {
  return new Map([...fixtureTensors()].map(([name, t]) => [`${prefix}${toLladaName(name)}`, t]));
}

export interface MultimodalEdit {
  readonly config?: (config: Record<string, unknown>) => Record<string, unknown>;
  readonly tensors?: (tensors: Map<string, StoredTensor>) => Map<string, StoredTensor>;
}

function writeCheckpoint(
  config: Record<string, unknown>,
  tensors: Map<string, StoredTensor>,
  preprocessor: string,
  edit: MultimodalEdit,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-mm-ckpt-'));
  for (const file of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(LLAMA_CHECKPOINT, file), join(dir, file));
  copyFileSync(preprocessor, join(dir, 'preprocessor_config.json'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify((edit.config ?? ((c) => c))(config), null, 2));
  writeSafetensors(join(dir, 'model.safetensors'), (edit.tensors ?? ((t) => t))(tensors));
  return dir;
}

/**
 * LLaDA-V layout: the LM's LLaDA fields at the top of config.json with the LLaVA `mm_*` fields,
 * the SigLIP fixture (3 layers, 64 px, patch 16 → 16 tokens, width 64) under
 * `model.vision_tower.vision_tower.vision_model.` described by `vision_config`, a 64 → 64
 * `mlp2x_gelu` projector at `model.mm_projector.{0,2}`, and LLaDA-V's image settings scaled to
 * the 64 px tile: `anyres_max_4` over grids "(1x1),...,(3x3)", `spatial_unpad` with a random
 * `model.image_newline`.
 */
export function makeLladaVCheckpoint(edit: MultimodalEdit = {}): string {
  const config = {
    ...lladaConfig(),
    architectures: ['LlavaLLaDAModelLM'],
    model_type: 'llava_llada',
    mm_vision_tower: 'siglip-tiny-test-fixture',
    vision_config: json(join(SIGLIP_FIXTURE, 'checkpoint/config.json')),
    mm_projector_type: 'mlp2x_gelu',
    mm_hidden_size: 64,
    mm_vision_select_layer: -2,
    mm_vision_select_feature: 'patch',
    image_aspect_ratio: 'anyres_max_4',
    image_grid_pinpoints: '(1x1),...,(3x3)',
    mm_patch_merge_type: 'spatial_unpad',
  };
  const tensors = lmTensors();
  tensors.set('model.image_newline', { dtype: 'F32', shape: [64], data: random(64, 13, 1) });
  for (const [name, t] of towerTensors(join(SIGLIP_FIXTURE, 'checkpoint'), (n) => `${LLADA_V_VISION_PREFIX}${n}`))
    tensors.set(name, t);
  [
    ['0', 11],
    ['2', 12],
  ].forEach(([layer, seed]) => {
    tensors.set(`model.mm_projector.${layer}.weight`, {
      dtype: 'F32',
      shape: [64, 64],
      data: random(64 * 64, Number(seed), 0.3),
    });
    tensors.set(`model.mm_projector.${layer}.bias`, {
      dtype: 'F32',
      shape: [64],
      data: random(64, Number(seed) + 100),
    });
  });
  return writeCheckpoint(config, tensors, join(SIGLIP_FIXTURE, 'processor/preprocessor_config.json'), edit);
}

/** Where the upstream anyres run's checkpoint parts and outputs are (its README says how they were made). */
export const LLADA_V_ANYRES_FIXTURE = join(TOWER_FIXTURES, '..', 'llada-v-anyres');

/**
 * LLaDA-V exactly as upstream's anyres code runs it, at toy width: the SigLIP tower of the upstream
 * run (384 px, patch 14 → 729 rows per view as LLaDA-V's tower asserts, width 16, 2 layers),
 * its 16 → 64 projector and image_newline (`llada-v-anyres/llada-v-vision.safetensors`, LLaDA-V's
 * tensor names), the LM fixture, `anyres_max_4` over "(1x1),...,(6x6)", `spatial_unpad`, and
 * the SigLIP processor at 384 × 384.
 */
export function makeLladaVAnyresCheckpoint(edit: MultimodalEdit = {}): string {
  const config = {
    ...lladaConfig(),
    architectures: ['LlavaLLaDAModelLM'],
    model_type: 'llava_llada',
    // Room for the rows of large images (rotary positions: any length runs).
    max_sequence_length: 8192,
    mm_vision_tower: 'siglip-toy-384-patch14',
    vision_config: json(join(LLADA_V_ANYRES_FIXTURE, 'tiny-siglip-config.json')),
    mm_projector_type: 'mlp2x_gelu',
    mm_hidden_size: 16,
    mm_vision_select_layer: -2,
    mm_vision_select_feature: 'patch',
    image_aspect_ratio: 'anyres_max_4',
    image_grid_pinpoints: '(1x1),...,(6x6)',
    mm_patch_merge_type: 'spatial_unpad',
  };
  const tensors = lmTensors();
  for (const [name, t] of towerTensors(LLADA_V_ANYRES_FIXTURE, (n) => n)) tensors.set(name, t);
  return writeCheckpoint(config, tensors, join(LLADA_V_ANYRES_FIXTURE, 'preprocessor_config.json'), edit);
}

/** The DIFFA adapter sizes of makeDiffaCheckpoint: Whisper fixture width 64 (4 heads), LM width 64. */
export const DIFFA_TEST_LAYOUT: DiffaAdapterLayout = {
  semantic: 'semantic_connector.',
  acoustic: 'acoustic_connector.',
  encoderWidth: 64,
  encoderHeads: 4,
  lmWidth: 64,
  taps: [0, 1, 2, 3],
  promptSize: 4,
  qformerLayers: 2,
  qformerIntermediate: 32,
  downsample: 4,
};

/**
 * DIFFA layout: `llm_config` (LLaDA fields) and `whisper_config` (the Whisper fixture's config,
 * 3 encoder layers; `whisper_model_id` whisper-tiny, whose taps 0…3 it has), the LM under
 * `llm_model.`, the whole Whisper fixture (encoder and decoder) under `whisper_model.`, random
 * adapters with 4 queries per tap and a 32-wide Q-Former feed-forward, and Whisper's 30 s
 * feature extractor.
 */
export function makeDiffaCheckpoint(edit: MultimodalEdit = {}): string {
  const config = {
    model_type: 'diffa',
    llm_config: lladaConfig(),
    whisper_config: json(join(WHISPER_FIXTURE, 'checkpoint/config.json')),
    whisper_model_id: 'openai/whisper-tiny',
    prompt_size: DIFFA_TEST_LAYOUT.promptSize,
  };
  const tensors = lmTensors('llm_model.');
  for (const [name, t] of towerTensors(join(WHISPER_FIXTURE, 'checkpoint'), (n) => `whisper_model.${n}`))
    tensors.set(name, t);
  let seed = 1000;
  for (const [name, shape] of diffaAdapterShapes(DIFFA_TEST_LAYOUT)) {
    const n = shape.reduce((a, b) => a * b, 1);
    // LayerNorm weights near 1, everything else small and random.
    const data = /LayerNorm\.weight$|layernorm\.weight$|proj\.0\.weight$/.test(name)
      ? random(n, seed++, 0.1).map((v) => 1 + v)
      : random(n, seed++, 0.3);
    tensors.set(name, { dtype: 'F32', shape, data });
  }
  return writeCheckpoint(config, tensors, join(WHISPER_FIXTURE, 'feature_extractor_80/preprocessor_config.json'), edit);
}

/** The folder names makeDiffaFolders gives the three parts, as users download them. */
export const DIFFA_FOLDERS = { diffa: 'DIFFA', lm: 'LLaDA-8B-Instruct', whisper: 'whisper-small' } as const;

/**
 * DIFFA as it ships, under `parent`: the DIFFA folder (config.json, `pytorch_model.bin` with the
 * adapters, DIFFA's 20 `trainable_prompts` and, with `whisperCopy`, a frozen copy of the Whisper
 * encoder under `whisper_model.`), the LLaDA folder (makeDiffaCheckpoint's LM under LLaDA's own names, with
 * its config.json and tokenizer) and the Whisper folder (the Whisper fixture with its feature
 * extractor). The tensors are makeDiffaCheckpoint's, so both layouts make the same bundle.
 */
export function makeDiffaFolders(
  parent: string,
  { whisperCopy = false } = {},
): { diffa: string; lm: string; whisper: string } {
  const merged = makeDiffaCheckpoint();
  const all = CheckpointTensors.open(merged);
  const pick = (test: (name: string) => string | undefined) => {
    const out = new Map<string, StoredTensor>();
    for (const t of all.tensors.values()) {
      const name = test(t.name);
      if (name !== undefined) out.set(name, { dtype: 'F32', shape: t.shape, data: all.readFloat32(t.name) });
    }
    return out;
  };
  const dirs = {
    diffa: join(parent, DIFFA_FOLDERS.diffa),
    lm: join(parent, DIFFA_FOLDERS.lm),
    whisper: join(parent, DIFFA_FOLDERS.whisper),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });

  const config = json(join(merged, 'config.json'));
  writeFileSync(join(dirs.diffa, 'config.json'), JSON.stringify(config, null, 2));
  const diffa = pick((n) =>
    n.startsWith('semantic_connector.') ||
    n.startsWith('acoustic_connector.') ||
    (whisperCopy && n.startsWith('whisper_model.model.encoder.'))
      ? n
      : undefined,
  );
  diffa.set('trainable_prompts.weight', { dtype: 'F32', shape: [20, 64], data: random(20 * 64, 77) });
  writeTorchCheckpoint(join(dirs.diffa, 'pytorch_model.bin'), diffa);

  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(merged, file), join(dirs.lm, file));
  writeFileSync(join(dirs.lm, 'config.json'), JSON.stringify(config.llm_config, null, 2));
  writeSafetensors(
    join(dirs.lm, 'model.safetensors'),
    pick((n) => (n.startsWith('llm_model.') ? n.slice('llm_model.'.length) : undefined)),
  );

  copyFileSync(join(WHISPER_FIXTURE, 'checkpoint/config.json'), join(dirs.whisper, 'config.json'));
  copyFileSync(join(WHISPER_FIXTURE, 'checkpoint/model.safetensors'), join(dirs.whisper, 'model.safetensors'));
  copyFileSync(
    join(WHISPER_FIXTURE, 'feature_extractor_80/preprocessor_config.json'),
    join(dirs.whisper, 'preprocessor_config.json'),
  );
  rmSync(merged, { recursive: true, force: true });
  return dirs;
}

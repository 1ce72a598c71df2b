/**
 * A synthetic Dimple checkpoint (test-fixtures/dimple/README.md): config.json, tokenizer files
 * and preprocessor_config.json from the fixture folder, and a model.safetensors assembled from
 * the Qwen2 LM fixture (top-level `model.*`, `lm_head`), the Qwen2.5-VL tower fixture (under
 * `visual.`) and the fixture's random projector (`img_projector.linear_{1,2}`), as Dimple's
 * public code names its tensors. Its reference outputs were computed by make-dimple-fixture.py.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '@unmask/core/testing';
import { CheckpointTensors } from '../src/checkpoint/checkpoint-tensors.js';
import { type StoredTensor, writeSafetensors } from './checkpoint-fixtures.js';
import { QWEN2_FIXTURE } from './lm-parity.js';
import { TOWER_FIXTURES } from './tower-fixtures.js';

export const DIMPLE_FIXTURE = fileURLToPath(new URL('../test-fixtures/dimple/', import.meta.url));
export const DIMPLE_IMAGE = join(TOWER_FIXTURES, 'qwen25vl-vision/input0.png');

function tensorsOf(dir: string, rename: (name: string) => string): Map<string, StoredTensor> {
  const checkpoint = CheckpointTensors.open(dir);
  const out = new Map<string, StoredTensor>();
  for (const t of checkpoint.tensors.values())
    out.set(rename(t.name), { dtype: 'F32', shape: t.shape, data: checkpoint.readFloat32(t.name) });
  return out;
}

export interface DimpleEdit {
  readonly config?: (config: Record<string, unknown>) => Record<string, unknown>;
  readonly tensors?: (tensors: Map<string, StoredTensor>) => Map<string, StoredTensor>;
  readonly preprocessor?: (config: Record<string, unknown>) => Record<string, unknown>;
}

/** The Dimple tensors by name (LM, `visual.*`, `img_projector.*`). */
export function dimpleTensors(): Map<string, StoredTensor> {
  const tensors = tensorsOf(join(QWEN2_FIXTURE, 'checkpoint'), (n) => n);
  for (const [name, t] of tensorsOf(join(TOWER_FIXTURES, 'qwen25vl-vision/checkpoint'), (n) => `visual.${n}`))
    tensors.set(name, t);
  const projector = SafetensorsFile.read(join(DIMPLE_FIXTURE, 'projector.safetensors'));
  for (const name of projector.names) {
    const { shape, data } = projector.float32(name);
    tensors.set(name, { dtype: 'F32', shape: [...shape], data });
  }
  return tensors;
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/** Writes the checkpoint folder (edits applied) and returns its path. */
export function makeDimpleCheckpoint(edit: DimpleEdit = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-dimple-ckpt-'));
  for (const file of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(DIMPLE_FIXTURE, file), join(dir, file));
  const config = (edit.config ?? ((c) => c))(json(join(DIMPLE_FIXTURE, 'config.json')));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const preprocessor = (edit.preprocessor ?? ((c) => c))(json(join(DIMPLE_FIXTURE, 'preprocessor_config.json')));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(preprocessor, null, 2));
  writeSafetensors(join(dir, 'model.safetensors'), (edit.tensors ?? ((t) => t))(dimpleTensors()));
  return dir;
}

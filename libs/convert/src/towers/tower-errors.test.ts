import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UnmaskError } from '@unmask/core';
import { type StoredTensor, writeSafetensors } from '../../test-support/checkpoint-fixtures.js';
import { TOWER_FIXTURES } from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { buildQwen2VlVisionGraph, parseQwen2VlVisionConfig } from './qwen2-vl-vision-graph.js';
import { buildSiglipGraph, LLADA_V_SIGLIP, parseSiglipVisionConfig } from './siglip-graph.js';
import { buildWhisperEncoderGraph, parseWhisperEncoderConfig } from './whisper-encoder-graph.js';

const made: string[] = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of a tower fixture's checkpoint with its tensors edited. */
function edited(tower: string, edit: (tensors: Map<string, StoredTensor>) => void): CheckpointTensors {
  const source = CheckpointTensors.open(join(TOWER_FIXTURES, tower, 'checkpoint'));
  const tensors = new Map(
    [...source.tensors.values()].map((t) => [
      t.name,
      { dtype: 'F32' as const, shape: t.shape, data: source.readFloat32(t.name) },
    ]),
  );
  edit(tensors);
  const dir = mkdtempSync(join(tmpdir(), 'unmask-tower-'));
  made.push(dir);
  copyFileSync(join(TOWER_FIXTURES, tower, 'checkpoint', 'config.json'), join(dir, 'config.json'));
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return CheckpointTensors.open(dir);
}

const configOf = (tower: string) =>
  JSON.parse(readFileSync(join(TOWER_FIXTURES, tower, 'checkpoint', 'config.json'), 'utf8'));

function rejects(build: () => unknown, message: RegExp, param: string): void {
  assert.throws(build, (error: unknown) => {
    assert.ok(error instanceof UnmaskError);
    assert.equal(error.code, 'invalid_bundle');
    assert.match(error.message, message);
    assert.equal(error.param, param);
    return true;
  });
}

describe('tower conversion errors name the tensor or config field', () => {
  it('a missing Whisper encoder tensor, with the shape config.json implies', () => {
    const checkpoint = edited('whisper', (t) => t.delete('model.encoder.layers.1.fc2.bias'));
    rejects(
      () => buildWhisperEncoderGraph(parseWhisperEncoderConfig(configOf('whisper')), checkpoint),
      /Whisper encoder.*missing tensor "model\.encoder\.layers\.1\.fc2\.bias" \(expected shape \[64\]\)/,
      'model.encoder.layers.1.fc2.bias',
    );
  });

  it('a misshapen SigLIP position embedding', () => {
    const name = 'embeddings.position_embedding.weight';
    const checkpoint = edited('siglip', (t) =>
      t.set(name, { dtype: 'F32', shape: [15, 64], data: new Float32Array(15 * 64) }),
    );
    rejects(
      () => buildSiglipGraph(parseSiglipVisionConfig(configOf('siglip')), checkpoint),
      /SigLIP.*tensor "embeddings\.position_embedding\.weight" has shape \[15, 64\], config\.json implies \[16, 64\]/,
      name,
    );
  });

  it('an unexpected tensor under the Qwen2.5-VL tower’s prefix, while tensors outside it are left alone', () => {
    const checkpoint = edited('qwen25vl-vision', (t) => {
      const weight = t.get('blocks.1.norm1.weight')!;
      t.set('blocks.2.norm1.weight', weight);
      for (const [name, tensor] of [...t]) t.set(`visual.${name}`, tensor);
      for (const name of [...t.keys()]) if (!name.startsWith('visual.')) t.delete(name);
      t.set('model.embed_tokens.weight', weight);
    });
    const config = parseQwen2VlVisionConfig(configOf('qwen25vl-vision'));
    rejects(
      () => buildQwen2VlVisionGraph(config, checkpoint, { prefix: 'visual.' }),
      /tensors under "visual\.".*unexpected tensor "visual\.blocks\.2\.norm1\.weight"/,
      'visual.blocks.2.norm1.weight',
    );
  });

  it('SigLIP tensors the graph leaves out on purpose (pooling head, a dropped layer) are not errors, other strays are', () => {
    const config = parseSiglipVisionConfig(configOf('siglip'));
    const withoutLast = edited('siglip', (t) => {
      for (const name of [...t.keys()]) if (name.startsWith('encoder.layers.2.')) t.delete(name);
    });
    assert.doesNotThrow(() => buildSiglipGraph(config, withoutLast, LLADA_V_SIGLIP));
    rejects(
      () => buildSiglipGraph(config, withoutLast),
      /missing tensor "encoder\.layers\.2\.layer_norm1\.weight"/,
      'encoder.layers.2.layer_norm1.weight',
    );
    const stray = edited('siglip', (t) => t.set('encoder.extra.weight', t.get('post_layernorm.weight')!));
    rejects(
      () => buildSiglipGraph(config, stray),
      /unexpected tensor "encoder\.extra\.weight"/,
      'encoder.extra.weight',
    );
  });

  it('a config field the tower needs, or one it does not implement', () => {
    const { out_hidden_size: _, ...withoutOut } = configOf('qwen25vl-vision');
    rejects(
      () => parseQwen2VlVisionConfig(withoutOut, 'vision_config.json'),
      /^vision_config\.json: out_hidden_size: /,
      'out_hidden_size',
    );
    rejects(
      () => parseWhisperEncoderConfig({ ...configOf('whisper'), activation_function: 'relu' }),
      /^config\.json: activation_function: only "gelu" \(exact\) is implemented/,
      'activation_function',
    );
    rejects(
      () => parseQwen2VlVisionConfig({ ...configOf('qwen25vl-vision'), fullatt_block_indexes: [1, 2] }),
      /fullatt_block_indexes: a full-attention block index is not below depth/,
      'fullatt_block_indexes',
    );
  });
});

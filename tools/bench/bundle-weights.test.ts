/**
 * The peer's weights rebuilt from a bundle's ONNX initializers equal the PyTorch weights the
 * bundle was exported from: the tiny test bundle (make_test_bundle.tiny_model()) and the tiny
 * multimodal bundle's LM (seed 0), compared tensor by tensor in Python. Needs /usr/bin/python3
 * with torch (skipped, saying so, without it).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWeights, writeSafetensors } from './bundle-weights.js';
import { PYTHON } from './peer.js';

const TRAIN = fileURLToPath(new URL('../train', import.meta.url));
const TINY = fileURLToPath(new URL('../../libs/core/test-fixtures/tiny-bundle', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

const rebuild = (dir: string) => {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return bundleWeights(join(dir, manifest.lm.graph), join(dir, manifest.lm.embed_graph), manifest.sizes);
};

describe('the peer weights rebuilt from a bundle', () => {
  const work = mkdtempSync(join(tmpdir(), 'unmask-bundle-weights-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('reads the LM config from the graph: sizes, MLP width, rotary base and norm epsilon', () => {
    const { config, tensors } = rebuild(TINY);
    assert.deepEqual(config, {
      vocab_size: 64,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 8,
      max_position_embeddings: 128,
      rope_theta: 10000,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: false,
    });
    assert.deepEqual(tensors.get('layers.1.self_attn.k_proj.weight')!.shape, [16, 32]);
    assert.deepEqual(tensors.get('lm_head.weight')!.shape, [64, 32]);
  });

  it('equals the PyTorch weights the bundle was exported from, tensor by tensor', {
    skip: hasTorch ? false : `${PYTHON} has no torch`,
  }, () => {
    const path = join(work, 'tiny.safetensors');
    const { config, tensors } = rebuild(TINY);
    writeSafetensors(path, tensors);
    writeFileSync(join(work, 'config.json'), JSON.stringify(config));
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(TRAIN)})
import torch
from make_test_bundle import tiny_model
from unmask_train.export_lm import read_safetensors
from unmask_train.lm import LMConfig, MaskedDiffusionLM
reference = tiny_model().state_dict()
rebuilt = read_safetensors(${JSON.stringify(path)})
assert set(rebuilt) == set(reference), sorted(set(rebuilt) ^ set(reference))
worst = max(float((torch.from_numpy(rebuilt[k]) - reference[k]).abs().max()) for k in reference)
model = MaskedDiffusionLM(LMConfig(**json.load(open(${JSON.stringify(join(work, 'config.json'))}))))
model.load_state_dict({k: torch.from_numpy(v) for k, v in rebuilt.items()}, strict=True)
print(worst)
`;
    const out = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(Number(out.stdout.trim()), 0, 'every weight is bit-identical');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { architectureFromConfig } from './checkpoint-config.js';
import { expectedShapes, tensorNames } from './tensor-layout.js';

// The fields of the public LLaDA-8B-Instruct and Dream-v0-Instruct-7B config.json files that the
// converter reads (values as published; unrelated fields left out).
const LLADA_8B = {
  architectures: ['LLaDAModelLM'],
  model_type: 'llada',
  d_model: 4096,
  n_heads: 32,
  n_kv_heads: 32,
  n_layers: 32,
  mlp_hidden_size: 12288,
  mlp_ratio: 4,
  vocab_size: 126464,
  embedding_size: 126464,
  rope_theta: 500000.0,
  rms_norm_eps: 1e-5,
  max_sequence_length: 4096,
  weight_tying: false,
  block_type: 'llama',
  activation_type: 'silu',
  layer_norm_type: 'rms',
  include_bias: false,
  include_qkv_bias: false,
  rope: true,
  alibi: false,
  mask_token_id: 126336,
  eos_token_id: 126081,
  pad_token_id: 126081,
};

const DREAM_7B = {
  architectures: ['DreamModel'],
  model_type: 'Dream',
  hidden_size: 3584,
  intermediate_size: 18944,
  num_attention_heads: 28,
  num_key_value_heads: 4,
  num_hidden_layers: 28,
  vocab_size: 152064,
  rope_theta: 1000000.0,
  rope_scaling: null,
  rms_norm_eps: 1e-6,
  max_position_embeddings: 131072,
  tie_word_embeddings: false,
  hidden_act: 'silu',
  use_sliding_window: false,
  mask_token_id: 151666,
  eos_token_id: 151643,
  pad_token_id: 151643,
  bos_token_id: 151643,
};

describe('architectureFromConfig', () => {
  it('reads LLaDA-8B: sizes of the LM graph contract table, unshifted logits, ids from the config', () => {
    const arch = architectureFromConfig(LLADA_8B);
    assert.equal(arch.layout, 'llada');
    assert.deepEqual(
      [
        arch.numLayers,
        arch.hiddenSize,
        arch.numHeads,
        arch.numKvHeads,
        arch.headDim,
        arch.vocabSize,
        arch.intermediateSize,
      ],
      [32, 4096, 32, 32, 128, 126464, 12288],
    );
    assert.equal(arch.ropeTheta, 500000);
    assert.equal(arch.shiftedLogits, false);
    assert.deepEqual(arch.tokenIds, { mask: 126336, eos: 126081, pad: 126081 });
    const names = tensorNames(arch);
    assert.equal(names.lmHead, 'model.transformer.ff_out.weight');
    assert.equal(names.layers[31]!.gate, 'model.transformer.blocks.31.ff_proj.weight');
    const shapes = expectedShapes(arch);
    assert.equal(shapes.size, 3 + 32 * 9);
    assert.deepEqual(shapes.get('model.transformer.blocks.0.ff_out.weight'), [4096, 12288]);
  });

  it('reads Dream-7B: Qwen2 layout with q/k/v biases, grouped-query heads, θ 1e6 and shifted logits', () => {
    const arch = architectureFromConfig(DREAM_7B);
    assert.equal(arch.layout, 'qwen2');
    assert.deepEqual(
      [arch.numLayers, arch.hiddenSize, arch.numHeads, arch.numKvHeads, arch.headDim, arch.vocabSize],
      [28, 3584, 28, 4, 128, 152064],
    );
    assert.equal(arch.ropeTheta, 1e6);
    assert.equal(arch.qkvBias, true);
    assert.equal(arch.shiftedLogits, true);
    assert.equal(arch.tokenIds.mask, 151666);
    assert.deepEqual(expectedShapes(arch).get('model.layers.27.self_attn.k_proj.bias'), [512]);
  });

  it('uses the embedding as the LM head when the embeddings are tied', () => {
    const llada = tensorNames(architectureFromConfig({ ...LLADA_8B, weight_tying: true }));
    assert.equal(llada.lmHead, llada.embed);
    const qwen = tensorNames(architectureFromConfig({ ...DREAM_7B, tie_word_embeddings: true }));
    assert.equal(qwen.lmHead, 'model.embed_tokens.weight');
  });

  it('takes rope θ from transformers 5 rope_parameters and refuses scaled rotary', () => {
    const base = {
      ...DREAM_7B,
      model_type: 'llama',
      rope_theta: undefined,
      rope_parameters: { rope_theta: 5e5, rope_type: 'default' },
    };
    assert.equal(architectureFromConfig(base).ropeTheta, 5e5);
    assert.throws(
      () => architectureFromConfig({ ...base, rope_parameters: { rope_theta: 5e5, rope_type: 'llama3' } }),
      /rope_parameters\.rope_type: is "llama3"; only the default rotary is supported yet/,
    );
  });

  it('names a missing or invalid config field', () => {
    assert.throws(() => architectureFromConfig({ ...LLADA_8B, n_layers: 'x' }), /config\.json: n_layers: /);
    assert.throws(
      () => architectureFromConfig({ ...LLADA_8B, n_kv_heads: 5 }),
      /n_kv_heads: n_heads 32 is not a multiple of n_kv_heads 5/,
    );
    assert.throws(() => architectureFromConfig({ ...DREAM_7B, hidden_act: 'gelu' }), /hidden_act: is "gelu"/);
  });

  it('gives a LLaDA field the config omits configuration_llada.py’s ModelConfig default', () => {
    const omit = (...fields: string[]) =>
      Object.fromEntries(Object.entries(LLADA_8B).filter(([key]) => !fields.includes(key)));
    const arch = architectureFromConfig(omit('max_sequence_length', 'rope_theta', 'rms_norm_eps', 'embedding_size'));
    assert.deepEqual([arch.maxPositions, arch.ropeTheta, arch.rmsNormEps], [1024, 10000, 1e-5]);
    assert.equal(arch.vocabSize, 50304, 'embedding_size omitted: 50304; null would mean vocab_size');
    assert.equal(architectureFromConfig({ ...LLADA_8B, embedding_size: null }).vocabSize, 126464);
    assert.equal(architectureFromConfig(omit('weight_tying')).tiedEmbeddings, true, 'weight_tying defaults to true');
    assert.deepEqual(
      (({ hiddenSize, numHeads, numLayers }) => [hiddenSize, numHeads, numLayers])(
        architectureFromConfig(omit('d_model', 'n_heads', 'n_kv_heads', 'n_layers', 'mlp_hidden_size')),
      ),
      [768, 12, 12],
    );
    // Defaults the graph builder does not build are refused by name, not silently replaced.
    assert.throws(() => architectureFromConfig(omit('block_type')), /block_type: is "sequential"/);
    assert.throws(() => architectureFromConfig(omit('activation_type')), /activation_type: is "swiglu"/);
    assert.throws(() => architectureFromConfig(omit('layer_norm_type')), /layer_norm_type: is "default"/);
    assert.throws(() => architectureFromConfig(omit('rope')), /rope: the converter needs rotary positions/);
  });

  it('reads LLaDA under Llama field names (LLaDA-V’s LM), with LLaDAConfig’s defaults for what it omits', () => {
    const config = {
      architectures: ['LLaDAModelLM'],
      model_type: 'llada',
      hidden_size: 64,
      num_attention_heads: 4,
      num_hidden_layers: 2,
      intermediate_size: 96,
      vocab_size: 300,
    };
    const arch = architectureFromConfig(config);
    assert.deepEqual(
      [arch.layout, arch.modelType, arch.shiftedLogits, arch.qkvBias, arch.numKvHeads],
      ['llama', 'llada', false, false, 4],
    );
    assert.deepEqual(
      [arch.maxPositions, arch.ropeTheta, arch.rmsNormEps, arch.tiedEmbeddings],
      [2048, 10000, 1e-6, false],
    );
    assert.throws(() => architectureFromConfig({ ...config, attention_bias: true }), /attention_bias: /);
  });
});

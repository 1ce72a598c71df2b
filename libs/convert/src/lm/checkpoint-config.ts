/**
 * `config.json` of a checkpoint → the architecture the converter builds (`LmArchitecture`).
 * Each family has its own zod schema with the fields its public configuration uses; options
 * the graph builder does not implement are refused by name instead of being ignored.
 */
import { join } from 'node:path';
import { UnmaskError } from '@unmask/core';
import { z } from 'zod';
import { readCheckpointJson } from '../checkpoint/checkpoint-json.js';

/** How the checkpoint names its tensors. */
export type TensorLayout = 'llada' | 'llama' | 'qwen2';

export interface LmArchitecture {
  /** The config's model_type, for messages and the manifest description. */
  readonly modelType: string;
  readonly layout: TensorLayout;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  /** Rows of the embedding matrix (and of the LM head). */
  readonly vocabSize: number;
  readonly ropeTheta: number;
  readonly rmsNormEps: number;
  readonly maxPositions: number;
  /** The LM head is the embedding matrix (no separate head tensor). */
  readonly tiedEmbeddings: boolean;
  /** q/k/v projections have biases (Qwen2 / Dream). */
  readonly qkvBias: boolean;
  /** Position i is predicted by the logits at i − 1 (Dream). */
  readonly shiftedLogits: boolean;
  /**
   * Multimodal rotary (Dimple / Qwen2-VL): position_ids [3, batch, seq] and the (temporal,
   * height, width) sections of the D/2 rotary frequencies. Absent: 1-D positions.
   */
  readonly mropeSections?: readonly [number, number, number];
  /**
   * Put before every LM tensor name when the LM sits inside a larger model (DIFFA's LM under its
   * own attribute); empty or absent for a plain LM checkpoint.
   */
  readonly tensorPrefix?: string;
  /** Token ids the config states (special tokens may also come from the tokenizer files). */
  readonly tokenIds: { readonly mask?: number; readonly eos?: number; readonly pad?: number; readonly bos?: number };
}

const count = z.number().int().positive();
const optionalId = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative()).min(1)]).nullish();
const ropeParameters = z
  .looseObject({ rope_theta: z.number().positive().optional(), rope_type: z.string().optional() })
  .nullish();

/**
 * LLaDA's own field names. A field the config omits takes the default of `ModelConfig` in the
 * checkpoint's configuration_llada.py (as LLaDAConfig does when it loads the file); defaults the
 * graph builder cannot build (block_type "sequential", activation "swiglu", layer norm "default",
 * rope off) are then refused by name below, as they would change the model; an omitted
 * weight_tying means a tied head (the embedding), as upstream.
 */
const lladaSchema = z.looseObject({
  d_model: count.default(768),
  n_heads: count.default(12),
  n_kv_heads: count.nullish(),
  n_layers: count.default(12),
  mlp_ratio: count.default(4),
  mlp_hidden_size: count.nullish(),
  vocab_size: count.default(50257),
  /** Omitted: 50304 (ModelConfig's default); null: vocab_size. */
  embedding_size: count.nullable().default(50304),
  rope_theta: z.number().positive().default(10000),
  rms_norm_eps: z.number().positive().default(1e-5),
  max_sequence_length: count.default(1024),
  weight_tying: z.boolean().default(true),
  block_type: z.string().default('sequential'),
  activation_type: z.string().default('swiglu'),
  layer_norm_type: z.string().default('default'),
  rope: z.boolean().default(false),
  alibi: z.boolean().default(false),
  include_bias: z.boolean().default(false),
  include_qkv_bias: z.boolean().nullable().default(false),
  attention_layer_norm: z.boolean().default(false),
  input_emb_norm: z.boolean().default(false),
  scale_logits: z.boolean().default(false),
  mask_token_id: optionalId,
  eos_token_id: optionalId,
  pad_token_id: optionalId,
  bos_token_id: optionalId,
});

/**
 * LLaDA under Llama's field names (`model_type` "llada" with `hidden_size` …, as LLaDA-V ships its
 * language model): what that configuration_llada.py's LLaDAConfig gives a field the config omits
 * (Llama's defaults). The config is then read as a Llama one.
 */
const LLADA_LLAMA_DEFAULTS = {
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  hidden_act: 'silu',
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: false,
  rope_theta: 10000,
  attention_bias: false,
};

const hfSchema = z.looseObject({
  hidden_size: count,
  num_attention_heads: count,
  num_key_value_heads: count.nullish(),
  num_hidden_layers: count,
  intermediate_size: count,
  vocab_size: count,
  head_dim: count.nullish(),
  rope_theta: z.number().positive().optional(),
  rope_parameters: ropeParameters,
  rope_scaling: ropeParameters,
  rms_norm_eps: z.number().positive().default(1e-6),
  max_position_embeddings: count,
  tie_word_embeddings: z.boolean().default(false),
  hidden_act: z.string().default('silu'),
  attention_bias: z.boolean().default(false),
  mlp_bias: z.boolean().default(false),
  use_sliding_window: z.boolean().default(false),
  mask_token_id: optionalId,
  eos_token_id: optionalId,
  pad_token_id: optionalId,
  bos_token_id: optionalId,
});

const firstId = (id: number | number[] | null | undefined): number | undefined =>
  Array.isArray(id) ? id[0] : (id ?? undefined);

function tokenIds(config: {
  mask_token_id?: number | number[] | null;
  eos_token_id?: number | number[] | null;
  pad_token_id?: number | number[] | null;
  bos_token_id?: number | number[] | null;
}) {
  const ids: { mask?: number; eos?: number; pad?: number; bos?: number } = {};
  const put = (key: keyof typeof ids, value: number | undefined) => {
    if (value !== undefined) ids[key] = value;
  };
  put('mask', firstId(config.mask_token_id));
  put('eos', firstId(config.eos_token_id));
  put('pad', firstId(config.pad_token_id));
  put('bos', firstId(config.bos_token_id));
  return ids;
}

/** Reads `config.json` in `dir` and picks the architecture from its model_type. */
export function readArchitecture(dir: string): LmArchitecture {
  const file = join(dir, 'config.json');
  return architectureFromConfig(readCheckpointJson(file, 'config.json'), file);
}

export function architectureFromConfig(config: Record<string, unknown>, file = 'config.json'): LmArchitecture {
  const modelType = typeof config.model_type === 'string' ? config.model_type : '';
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  const fail = (field: string, message: string): never => {
    throw new UnmaskError('invalid_bundle', `${file}: ${field}: ${message}`, field);
  };
  const parse = <T extends z.ZodType>(schema: T): z.infer<T> => {
    const parsed = schema.safeParse(config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail(issue.path.join('.') || 'config', issue.message);
    }
    return parsed.data;
  };
  const lladaFamily = modelType === 'llada' || architectures.includes('LLaDAModelLM');
  if (lladaFamily && !('d_model' in config) && 'hidden_size' in config) {
    const { model_type: _, architectures: __, ...fields } = config;
    const llama = architectureFromConfig({ ...LLADA_LLAMA_DEFAULTS, ...fields, model_type: 'llama' }, file);
    return { ...llama, modelType: modelType || 'llada' };
  }
  if (lladaFamily) {
    const c = parse(lladaSchema);
    const unsupported: [boolean, string, string][] = [
      [
        c.block_type !== 'llama',
        'block_type',
        `is "${c.block_type}"; the converter builds LLaDA's "llama" block (separate q/k/v, SwiGLU)`,
      ],
      [c.activation_type !== 'silu', 'activation_type', `is "${c.activation_type}"; only "silu" (SwiGLU) is supported`],
      [c.layer_norm_type !== 'rms', 'layer_norm_type', `is "${c.layer_norm_type}"; only "rms" is supported`],
      [!c.rope || c.alibi, 'rope', 'the converter needs rotary positions (rope true, alibi false)'],
      [c.include_bias, 'include_bias', 'biases in LLaDA blocks are not supported yet'],
      [c.include_qkv_bias === true, 'include_qkv_bias', 'q/k/v biases in LLaDA blocks are not supported yet'],
      [c.attention_layer_norm, 'attention_layer_norm', 'q/k layer norms are not supported yet'],
      [c.input_emb_norm, 'input_emb_norm', 'an embedding norm is not supported yet'],
      [c.scale_logits, 'scale_logits', 'logit scaling is not supported yet'],
    ];
    for (const [bad, field, message] of unsupported) if (bad) fail(field, message);
    if (c.d_model % c.n_heads !== 0) fail('d_model', `${c.d_model} is not a multiple of n_heads ${c.n_heads}`);
    const numKvHeads = c.n_kv_heads ?? c.n_heads;
    if (c.n_heads % numKvHeads !== 0)
      fail('n_kv_heads', `n_heads ${c.n_heads} is not a multiple of n_kv_heads ${numKvHeads}`);
    return {
      modelType: modelType || 'llada',
      layout: 'llada',
      hiddenSize: c.d_model,
      numLayers: c.n_layers,
      numHeads: c.n_heads,
      numKvHeads,
      headDim: c.d_model / c.n_heads,
      intermediateSize: c.mlp_hidden_size ?? c.mlp_ratio * c.d_model,
      vocabSize: c.embedding_size ?? c.vocab_size,
      ropeTheta: c.rope_theta,
      rmsNormEps: c.rms_norm_eps,
      maxPositions: c.max_sequence_length,
      tiedEmbeddings: c.weight_tying,
      qkvBias: false,
      shiftedLogits: false,
      tokenIds: tokenIds(c),
    };
  }
  if (modelType === 'llama' || modelType === 'qwen2' || modelType.toLowerCase() === 'dream') {
    const c = parse(hfSchema);
    const rope = c.rope_parameters ?? c.rope_scaling;
    if (rope?.rope_type !== undefined && rope.rope_type !== 'default')
      fail('rope_parameters.rope_type', `is "${rope.rope_type}"; only the default rotary is supported yet`);
    if (c.hidden_act !== 'silu') fail('hidden_act', `is "${c.hidden_act}"; only "silu" (SwiGLU) is supported`);
    if (c.mlp_bias) fail('mlp_bias', 'MLP biases are not supported yet');
    if (c.use_sliding_window) fail('use_sliding_window', 'sliding-window attention is not supported');
    const qwen = modelType !== 'llama';
    if (!qwen && c.attention_bias) fail('attention_bias', 'Llama attention biases are not supported yet');
    const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
    if (c.num_attention_heads % numKvHeads !== 0)
      fail('num_key_value_heads', `num_attention_heads ${c.num_attention_heads} is not a multiple of ${numKvHeads}`);
    const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
    if (!Number.isInteger(headDim) || headDim % 2 !== 0) fail('head_dim', `${headDim} must be an even integer`);
    return {
      modelType,
      layout: qwen ? 'qwen2' : 'llama',
      hiddenSize: c.hidden_size,
      numLayers: c.num_hidden_layers,
      numHeads: c.num_attention_heads,
      numKvHeads,
      headDim,
      intermediateSize: c.intermediate_size,
      vocabSize: c.vocab_size,
      ropeTheta: rope?.rope_theta ?? c.rope_theta ?? 10000,
      rmsNormEps: c.rms_norm_eps,
      maxPositions: c.max_position_embeddings,
      tiedEmbeddings: c.tie_word_embeddings,
      qkvBias: qwen,
      shiftedLogits: qwen,
      tokenIds: tokenIds(c),
    };
  }
  return fail(
    'model_type',
    `"${modelType}"${architectures.length ? ` (${architectures.join(', ')})` : ''} is not an architecture the converter knows; it converts llada, llama (bidirectional), qwen2 and Dream language models`,
  );
}

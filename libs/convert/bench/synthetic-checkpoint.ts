/**
 * Synthetic checkpoints at any width and depth, in the family's own Hugging Face layout (LLaDA's
 * `model.transformer.*`, Dream's Qwen2 `model.layers.*`), so that `unmask convert` reads them
 * exactly as it reads the published checkpoints: what the converter's benchmarks (bench/) and the
 * real-width benchmark (tools/bench/real-width) convert when no real checkpoint is at hand
 * offline. Weights are random bf16 (OpenSSL's generator, the fastest here): norms are 1, every
 * other value is ±[2⁻⁷, 2⁻⁶) with a random sign and mantissa. Speed does not depend on the
 * values; engines' logits can be compared because every engine of a run reads the same checkpoint.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type Family = 'llada' | 'dream';

/** The widths and the config values a checkpoint is written with. */
export interface CheckpointShape {
  readonly family: Family;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly mlp: number;
  readonly vocab: number;
  readonly ropeTheta: number;
  readonly rmsNormEps: number;
  readonly maxPositions: number;
  readonly maskTokenId: number;
  readonly eosTokenId: number;
}

/**
 * A LLaDA-layout shape of these widths, with LLaDA-8B's rotary base, norm epsilon and positions
 * (config.json of GSAI-ML/LLaDA-8B-Instruct) and the small tokenizer's mask and end ids.
 */
export function lladaShape(w: { d: number; heads: number; mlp: number; vocab: number }): CheckpointShape {
  return {
    family: 'llada',
    hidden: w.d,
    heads: w.heads,
    kvHeads: w.heads,
    headDim: w.d / w.heads,
    mlp: w.mlp,
    vocab: w.vocab,
    ropeTheta: 500000,
    rmsNormEps: 1e-5,
    maxPositions: 4096,
    maskTokenId: 3,
    eosTokenId: 2,
  };
}

export interface TensorSpec {
  readonly name: string;
  /** PyTorch order: [out, in] for a weight matrix. */
  readonly shape: readonly number[];
  /** Norm weights are ones. */
  readonly ones?: boolean;
}

/** The checkpoint's tensors in file order. */
export function checkpointTensors(s: CheckpointShape, layers: number): TensorSpec[] {
  const H = s.hidden;
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const specs: TensorSpec[] = [];
  if (s.family === 'llada') {
    specs.push({ name: 'model.transformer.wte.weight', shape: [s.vocab, H] });
    for (let i = 0; i < layers; i++) {
      const p = `model.transformer.blocks.${i}`;
      specs.push(
        { name: `${p}.attn_norm.weight`, shape: [H], ones: true },
        { name: `${p}.q_proj.weight`, shape: [q, H] },
        { name: `${p}.k_proj.weight`, shape: [kv, H] },
        { name: `${p}.v_proj.weight`, shape: [kv, H] },
        { name: `${p}.attn_out.weight`, shape: [H, q] },
        { name: `${p}.ff_norm.weight`, shape: [H], ones: true },
        { name: `${p}.ff_proj.weight`, shape: [s.mlp, H] },
        { name: `${p}.up_proj.weight`, shape: [s.mlp, H] },
        { name: `${p}.ff_out.weight`, shape: [H, s.mlp] },
      );
    }
    specs.push(
      { name: 'model.transformer.ln_f.weight', shape: [H], ones: true },
      { name: 'model.transformer.ff_out.weight', shape: [s.vocab, H] },
    );
    return specs;
  }
  specs.push({ name: 'model.embed_tokens.weight', shape: [s.vocab, H] });
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    specs.push(
      { name: `${p}.input_layernorm.weight`, shape: [H], ones: true },
      { name: `${p}.self_attn.q_proj.weight`, shape: [q, H] },
      { name: `${p}.self_attn.q_proj.bias`, shape: [q] },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kv, H] },
      { name: `${p}.self_attn.k_proj.bias`, shape: [kv] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kv, H] },
      { name: `${p}.self_attn.v_proj.bias`, shape: [kv] },
      { name: `${p}.self_attn.o_proj.weight`, shape: [H, q] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [H], ones: true },
      { name: `${p}.mlp.gate_proj.weight`, shape: [s.mlp, H] },
      { name: `${p}.mlp.up_proj.weight`, shape: [s.mlp, H] },
      { name: `${p}.mlp.down_proj.weight`, shape: [H, s.mlp] },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [H], ones: true }, { name: 'lm_head.weight', shape: [s.vocab, H] });
  return specs;
}

function configJson(s: CheckpointShape, layers: number): Record<string, unknown> {
  if (s.family === 'llada') {
    return {
      model_type: 'llada',
      architectures: ['LLaDAModelLM'],
      d_model: s.hidden,
      n_heads: s.heads,
      n_kv_heads: s.kvHeads,
      n_layers: layers,
      mlp_hidden_size: s.mlp,
      vocab_size: s.vocab,
      embedding_size: s.vocab,
      rope_theta: s.ropeTheta,
      rms_norm_eps: s.rmsNormEps,
      max_sequence_length: s.maxPositions,
      weight_tying: false,
      // LLaDA-8B-Instruct's config.json spells these out (the converter refuses configuration_llada.py's defaults).
      block_type: 'llama',
      activation_type: 'silu',
      layer_norm_type: 'rms',
      rope: true,
      alibi: false,
      include_bias: false,
      include_qkv_bias: false,
      attention_layer_norm: false,
      input_emb_norm: false,
      scale_logits: false,
      mask_token_id: s.maskTokenId,
      eos_token_id: s.eosTokenId,
      pad_token_id: s.eosTokenId,
    };
  }
  return {
    model_type: 'Dream',
    architectures: ['DreamModel'],
    hidden_size: s.hidden,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    num_hidden_layers: layers,
    intermediate_size: s.mlp,
    vocab_size: s.vocab,
    rope_theta: s.ropeTheta,
    rms_norm_eps: s.rmsNormEps,
    max_position_embeddings: s.maxPositions,
    tie_word_embeddings: false,
    hidden_act: 'silu',
    mask_token_id: s.maskTokenId,
    eos_token_id: s.eosTokenId,
    pad_token_id: s.eosTokenId,
    bos_token_id: s.eosTokenId,
  };
}

/** bf16 bits ±[2⁻⁷, 2⁻⁶): sign and mantissa random, exponent fixed (two values per word). */
const BF16_MASK = 0x807f807f;
const BF16_EXPONENT = 0x3c003c00;
const BF16_ONE = 0x3f80;

const PIECE_WORDS = 16 * 1024 * 1024;

/** Writes one tensor through `piece` (PIECE_WORDS words, reused: fresh pages cost more than filling them). */
function writeTensor(fd: number, spec: TensorSpec, piece: Uint32Array): void {
  const elements = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.ones) {
    writeSync(fd, new Uint16Array(elements).fill(BF16_ONE));
    return;
  }
  for (let done = 0; done < elements; done += 2 * PIECE_WORDS) {
    const count = Math.min(2 * PIECE_WORDS, elements - done);
    const buffer = piece.subarray(0, Math.ceil(count / 2));
    randomFillSync(buffer);
    for (let i = 0; i < buffer.length; i++) buffer[i] = (buffer[i]! & BF16_MASK) | BF16_EXPONENT;
    writeSync(fd, new Uint16Array(buffer.buffer, buffer.byteOffset, count));
  }
}

/** Safetensors shards of about this many bytes by default (the real-width runs'). */
const SHARD_BYTES = 2 * 1024 ** 3;

export interface WrittenCheckpoint {
  readonly dir: string;
  readonly bytes: number;
  readonly tensors: readonly TensorSpec[];
}

/**
 * Writes config.json, a minimal WordLevel tokenizer.json and bf16 safetensors shards of about
 * `shardBytes` (default 2 GiB; with model.safetensors.index.json) into `dir`.
 */
export function writeCheckpoint(
  dir: string,
  s: CheckpointShape,
  layers: number,
  shardBytes = SHARD_BYTES,
): WrittenCheckpoint {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson(s, layers), null, 1));
  const vocab = Object.fromEntries(
    ['<unk>', '<|startoftext|>', '<|endoftext|>', '<|mdm_mask|>', 'hello', 'world'].map((t, i) => [t, i]),
  );
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: 'WhitespaceSplit' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
    }),
  );
  const tensors = checkpointTensors(s, layers);
  const shards: TensorSpec[][] = [[]];
  let bytes = 0;
  for (const spec of tensors) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * 2;
    if (bytes + size > shardBytes && shards.at(-1)!.length > 0) {
      shards.push([]);
      bytes = 0;
    }
    shards.at(-1)!.push(spec);
    bytes += size;
  }
  const weightMap: Record<string, string> = {};
  const piece = new Uint32Array(PIECE_WORDS);
  let total = 0;
  shards.forEach((specs, s) => {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const spec of specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1) * 2;
      header[spec.name] = { dtype: 'BF16', shape: spec.shape, data_offsets: [offset, offset + size] };
      weightMap[spec.name] = file;
      offset += size;
    }
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const fd = openSync(join(dir, file), 'w');
    try {
      writeSync(fd, length);
      writeSync(fd, json);
      for (const spec of specs) writeTensor(fd, spec, piece);
    } finally {
      closeSync(fd);
    }
    total += statSync(join(dir, file)).size;
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }),
  );
  return { dir, bytes: total, tensors };
}

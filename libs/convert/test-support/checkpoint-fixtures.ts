/**
 * Test checkpoints made from the bidirectional Llama fixture: the same weights copied into a
 * temporary folder, optionally renamed (LLaDA layout), reshaped, stored as bfloat16 or split
 * into shards with an index, so each spec can break exactly one thing.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointTensors } from '../src/checkpoint/checkpoint-tensors.js';

export const LLAMA_FIXTURE = fileURLToPath(new URL('../test-fixtures/llama-bidirectional/', import.meta.url));
export const LLAMA_CHECKPOINT = join(LLAMA_FIXTURE, 'checkpoint');

export interface StoredTensor {
  readonly dtype: 'F32' | 'BF16';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Writes a safetensors file (F32 as is; BF16 by truncating float32 to its upper 16 bits). */
export function writeSafetensors(path: string, tensors: ReadonlyMap<string, StoredTensor>): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    let bytes: Uint8Array;
    if (tensor.dtype === 'F32') {
      bytes = new Uint8Array(
        tensor.data.buffer.slice(tensor.data.byteOffset, tensor.data.byteOffset + tensor.data.byteLength),
      );
    } else {
      const words = new Uint32Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.length);
      bytes = new Uint8Array(Uint16Array.from(words, (w) => w >>> 16).buffer);
    }
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, ...blobs]));
}

/** The fixture's tensors as float32. */
export function fixtureTensors(): Map<string, StoredTensor> {
  const checkpoint = CheckpointTensors.open(LLAMA_CHECKPOINT);
  return new Map(
    [...checkpoint.tensors.values()].map((t) => [
      t.name,
      { dtype: 'F32' as const, shape: t.shape, data: checkpoint.readFloat32(t.name) },
    ]),
  );
}

/** Llama tensor names → LLaDA's (`model.transformer.*`). */
export function toLladaName(name: string): string {
  const fixed: Record<string, string> = {
    'model.embed_tokens.weight': 'model.transformer.wte.weight',
    'model.norm.weight': 'model.transformer.ln_f.weight',
    'lm_head.weight': 'model.transformer.ff_out.weight',
  };
  if (fixed[name]) return fixed[name];
  const match = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!match) throw new Error(`no LLaDA name for ${name}`);
  const parts: Record<string, string> = {
    'input_layernorm.weight': 'attn_norm.weight',
    'self_attn.q_proj.weight': 'q_proj.weight',
    'self_attn.k_proj.weight': 'k_proj.weight',
    'self_attn.v_proj.weight': 'v_proj.weight',
    'self_attn.o_proj.weight': 'attn_out.weight',
    'post_attention_layernorm.weight': 'ff_norm.weight',
    'mlp.gate_proj.weight': 'ff_proj.weight',
    'mlp.up_proj.weight': 'up_proj.weight',
    'mlp.down_proj.weight': 'ff_out.weight',
  };
  const part = parts[match[2]!];
  if (!part) throw new Error(`no LLaDA name for ${name}`);
  return `model.transformer.blocks.${match[1]}.${part}`;
}

/** The fixture's config.json in LLaDA's configuration fields. */
export function lladaConfig(): Record<string, unknown> {
  const llama = JSON.parse(readFileSync(join(LLAMA_CHECKPOINT, 'config.json'), 'utf8'));
  return {
    architectures: ['LLaDAModelLM'],
    model_type: 'llada',
    d_model: llama.hidden_size,
    n_heads: llama.num_attention_heads,
    n_kv_heads: llama.num_key_value_heads,
    n_layers: llama.num_hidden_layers,
    mlp_hidden_size: llama.intermediate_size,
    mlp_ratio: 4,
    vocab_size: llama.vocab_size,
    embedding_size: llama.vocab_size,
    rope_theta: llama.rope_parameters.rope_theta,
    rms_norm_eps: llama.rms_norm_eps,
    max_sequence_length: llama.max_position_embeddings,
    weight_tying: false,
    block_type: 'llama',
    activation_type: 'silu',
    layer_norm_type: 'rms',
    include_bias: false,
    include_qkv_bias: false,
    rope: true,
    alibi: false,
    mask_token_id: 3,
    eos_token_id: 2,
    pad_token_id: 2,
  };
}

export interface CheckpointEdit {
  /** Rewrite config.json. */
  readonly config?: Record<string, unknown>;
  /** Replace the tensor map (rename, drop, reshape, retype). */
  readonly tensors?: (tensors: Map<string, StoredTensor>) => Map<string, StoredTensor>;
  /** Split the tensors over this many shards with model.safetensors.index.json. */
  readonly shards?: number;
}

/** A temporary checkpoint folder: the fixture with `edit` applied. */
export function makeCheckpoint(edit: CheckpointEdit = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-ckpt-'));
  for (const file of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(LLAMA_CHECKPOINT, file), join(dir, file));
  if (edit.config) writeFileSync(join(dir, 'config.json'), JSON.stringify(edit.config, null, 2));
  else copyFileSync(join(LLAMA_CHECKPOINT, 'config.json'), join(dir, 'config.json'));
  const tensors = (edit.tensors ?? ((t) => t))(fixtureTensors());
  if (!edit.shards) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    return dir;
  }
  const entries = [...tensors];
  const per = Math.ceil(entries.length / edit.shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < edit.shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(edit.shards).padStart(5, '0')}.safetensors`;
    const part = new Map(entries.slice(s * per, (s + 1) * per));
    writeSafetensors(join(dir, file), part);
    for (const name of part.keys()) weightMap[name] = file;
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return dir;
}

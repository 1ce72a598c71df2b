/**
 * A synthetic checkpoint in LLaDA's tensor layout (model.transformer.*), random bf16 weights,
 * sharded at about 1 GiB like the real one, with a minimal tokenizer: what the converter
 * benchmarks convert when no real checkpoint is available offline.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface LladaShape {
  readonly d: number;
  readonly heads: number;
  readonly layers: number;
  readonly mlp: number;
  readonly vocab: number;
}

/** LLaDA-8B's widths (config.json of GSAI-ML/LLaDA-8B-Instruct): 32 blocks, 4096 wide, 32 heads, MLP 12 288, vocabulary 126 464. */
export const LLADA_8B: LladaShape = { d: 4096, heads: 32, layers: 32, mlp: 12288, vocab: 126464 };

const SHARD_BYTES = 1024 ** 3;

interface Spec {
  readonly name: string;
  readonly shape: readonly number[];
}

function lladaTensors(c: LladaShape): Spec[] {
  const specs: Spec[] = [{ name: 'model.transformer.wte.weight', shape: [c.vocab, c.d] }];
  for (let i = 0; i < c.layers; i++) {
    const p = `model.transformer.blocks.${i}`;
    specs.push(
      { name: `${p}.attn_norm.weight`, shape: [c.d] },
      { name: `${p}.q_proj.weight`, shape: [c.d, c.d] },
      { name: `${p}.k_proj.weight`, shape: [c.d, c.d] },
      { name: `${p}.v_proj.weight`, shape: [c.d, c.d] },
      { name: `${p}.attn_out.weight`, shape: [c.d, c.d] },
      { name: `${p}.ff_norm.weight`, shape: [c.d] },
      { name: `${p}.ff_proj.weight`, shape: [c.mlp, c.d] },
      { name: `${p}.up_proj.weight`, shape: [c.mlp, c.d] },
      { name: `${p}.ff_out.weight`, shape: [c.d, c.mlp] },
    );
  }
  specs.push(
    { name: 'model.transformer.ln_f.weight', shape: [c.d] },
    { name: 'model.transformer.ff_out.weight', shape: [c.vocab, c.d] },
  );
  return specs;
}

/** Small random bf16 values (|x| in [2^-7, 2^-6)), generated and written in 64 MiB pieces. */
function writeRandomBf16(fd: number, elements: number): void {
  const piece = 32 * 1024 * 1024;
  for (let done = 0; done < elements; done += piece) {
    const words = new Uint16Array(Math.min(piece, elements - done));
    randomFillSync(words);
    for (let i = 0; i < words.length; i++) words[i] = (words[i]! & 0x807f) | 0x3c00;
    writeSync(fd, words);
  }
}

/** Writes the checkpoint into `dir`; returns its safetensors bytes. */
export function writeLladaCheckpoint(dir: string, c: LladaShape): number {
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'llada',
      architectures: ['LLaDAModelLM'],
      d_model: c.d,
      n_heads: c.heads,
      n_kv_heads: c.heads,
      n_layers: c.layers,
      mlp_hidden_size: c.mlp,
      vocab_size: c.vocab,
      embedding_size: c.vocab,
      rope_theta: 500000,
      rms_norm_eps: 1e-5,
      max_sequence_length: 4096,
      weight_tying: false,
      block_type: 'llama',
      mask_token_id: 3,
      eos_token_id: 2,
      pad_token_id: 2,
    }),
  );
  const vocab = Object.fromEntries(
    ['<unk>', '<|startoftext|>', '<|endoftext|>', '<|mdm_mask|>', 'hello'].map((t, i) => [t, i]),
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
  // Shards of about SHARD_BYTES each, one tensor at a time.
  const shards: Spec[][] = [[]];
  let bytes = 0;
  for (const spec of lladaTensors(c)) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * 2;
    if (bytes + size > SHARD_BYTES && shards[shards.length - 1]!.length > 0) {
      shards.push([]);
      bytes = 0;
    }
    shards[shards.length - 1]!.push(spec);
    bytes += size;
  }
  const weightMap: Record<string, string> = {};
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
    writeSync(fd, length);
    writeSync(fd, json);
    for (const spec of specs)
      writeRandomBf16(
        fd,
        spec.shape.reduce((a, b) => a * b, 1),
      );
    closeSync(fd);
    total += statSync(join(dir, file)).size;
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }),
  );
  return total;
}

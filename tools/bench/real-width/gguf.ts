/**
 * A GGUF (v3) writer for the benchmark's llama.cpp peer: the synthetic checkpoint's weights as
 * F32, F16, Q8_0 or Q4_0 (gguf-encoding.ts), in llama.cpp's `llada` / `dream` architectures,
 * streamed tensor by tensor. Written here because no GGUF writer runs under Node.
 *
 * File layout: magic "GGUF", version 3, tensor count, key/value count; the key/values; one info
 * per tensor (name, dimensions innermost first, ggml type, data offset); padding to
 * `general.alignment` (32); the tensors' data, each at a 32-byte aligned offset.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { CheckpointTensors } from '@unmask/convert';
import { encodeRows, FILE_TYPE, GGML_TYPE, type GgufType, rowBytes } from './gguf-encoding.js';
import type { FamilyShape } from './shapes.js';

const ALIGNMENT = 32;

type Value =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: readonly string[] }
  | { type: 'f32s'; value: Float32Array }
  | { type: 'i32s'; value: Int32Array };

/** Little-endian byte sink for the header. */
class Bytes {
  private chunks: Buffer[] = [];
  length = 0;
  push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  value(v: Value): void {
    switch (v.type) {
      case 'u32':
        this.u32(4);
        this.u32(v.value);
        return;
      case 'f32': {
        this.u32(6);
        const b = Buffer.alloc(4);
        b.writeFloatLE(v.value);
        this.push(b);
        return;
      }
      case 'bool':
        this.u32(7);
        this.push(Buffer.from([v.value ? 1 : 0]));
        return;
      case 'string':
        this.u32(8);
        this.string(v.value);
        return;
      case 'strings':
        this.u32(9);
        this.u32(8);
        this.u64(v.value.length);
        for (const s of v.value) this.string(s);
        return;
      case 'f32s':
        this.u32(9);
        this.u32(6);
        this.u64(v.value.length);
        this.push(Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength));
        return;
      case 'i32s':
        this.u32(9);
        this.u32(5);
        this.u64(v.value.length);
        this.push(Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength));
        return;
    }
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

interface GgufTensor {
  /** llama.cpp's name. */
  readonly name: string;
  /** The checkpoint's name. */
  readonly source: string;
  /** PyTorch order ([out, in]); GGUF stores the dimensions reversed. */
  readonly shape: readonly number[];
  readonly type: GgufType;
  /** Rows of q / k reordered from rotate-half to adjacent-pair rotary (LLaDA on llama.cpp's "norm" rope). */
  readonly permuteHeads?: number;
}

/**
 * The tensors in llama.cpp's names. Matrices take `type`; norms and biases stay F32; in a
 * Q4_0 file the output head is Q8_0 (as the unmask int4 bundle's 8-bit head; llama.cpp's own
 * quantiser would pick Q6_K, which this writer does not implement).
 */
export function ggufTensors(s: FamilyShape, layers: number, type: GgufType): GgufTensor[] {
  const llada = s.family === 'llada';
  const matrix = (name: string, source: string, shape: number[], permuteHeads?: number): GgufTensor => ({
    name,
    source,
    shape,
    type,
    ...(permuteHeads ? { permuteHeads } : {}),
  });
  const vector = (name: string, source: string, length: number): GgufTensor => ({
    name,
    source,
    shape: [length],
    type: 'F32',
  });
  const H = s.hidden;
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const tensors: GgufTensor[] = [
    matrix('token_embd.weight', llada ? 'model.transformer.wte.weight' : 'model.embed_tokens.weight', [s.vocab, H]),
  ];
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}`;
    if (llada) {
      const p = `model.transformer.blocks.${i}`;
      tensors.push(
        vector(`${b}.attn_norm.weight`, `${p}.attn_norm.weight`, H),
        matrix(`${b}.attn_q.weight`, `${p}.q_proj.weight`, [q, H], s.heads),
        matrix(`${b}.attn_k.weight`, `${p}.k_proj.weight`, [kv, H], s.kvHeads),
        matrix(`${b}.attn_v.weight`, `${p}.v_proj.weight`, [kv, H]),
        matrix(`${b}.attn_output.weight`, `${p}.attn_out.weight`, [H, q]),
        vector(`${b}.ffn_norm.weight`, `${p}.ff_norm.weight`, H),
        matrix(`${b}.ffn_gate.weight`, `${p}.ff_proj.weight`, [s.mlp, H]),
        matrix(`${b}.ffn_up.weight`, `${p}.up_proj.weight`, [s.mlp, H]),
        matrix(`${b}.ffn_down.weight`, `${p}.ff_out.weight`, [H, s.mlp]),
      );
    } else {
      const p = `model.layers.${i}`;
      tensors.push(
        vector(`${b}.attn_norm.weight`, `${p}.input_layernorm.weight`, H),
        matrix(`${b}.attn_q.weight`, `${p}.self_attn.q_proj.weight`, [q, H]),
        vector(`${b}.attn_q.bias`, `${p}.self_attn.q_proj.bias`, q),
        matrix(`${b}.attn_k.weight`, `${p}.self_attn.k_proj.weight`, [kv, H]),
        vector(`${b}.attn_k.bias`, `${p}.self_attn.k_proj.bias`, kv),
        matrix(`${b}.attn_v.weight`, `${p}.self_attn.v_proj.weight`, [kv, H]),
        vector(`${b}.attn_v.bias`, `${p}.self_attn.v_proj.bias`, kv),
        matrix(`${b}.attn_output.weight`, `${p}.self_attn.o_proj.weight`, [H, q]),
        vector(`${b}.ffn_norm.weight`, `${p}.post_attention_layernorm.weight`, H),
        matrix(`${b}.ffn_gate.weight`, `${p}.mlp.gate_proj.weight`, [s.mlp, H]),
        matrix(`${b}.ffn_up.weight`, `${p}.mlp.up_proj.weight`, [s.mlp, H]),
        matrix(`${b}.ffn_down.weight`, `${p}.mlp.down_proj.weight`, [H, s.mlp]),
      );
    }
  }
  tensors.push(vector('output_norm.weight', llada ? 'model.transformer.ln_f.weight' : 'model.norm.weight', H), {
    ...matrix('output.weight', llada ? 'model.transformer.ff_out.weight' : 'lm_head.weight', [s.vocab, H]),
    type: type === 'Q4_0' ? 'Q8_0' : type,
  });
  return tensors;
}

/**
 * Row order after the rotate-half → adjacent-pair permutation of a q / k projection with
 * `heads` heads of `rows / heads` rows: new row h·D + 2i + j is old row h·D + j·D/2 + i.
 */
export function permutedRow(row: number, rows: number, heads: number): number {
  const D = rows / heads;
  const h = Math.floor(row / D);
  const r = row % D;
  const i = Math.floor(r / 2);
  const j = r % 2;
  return h * D + j * (D / 2) + i;
}

/** A vocabulary llama.cpp accepts (SentencePiece type): specials, the 256 byte tokens, then filler words. */
function vocabulary(size: number): { tokens: string[]; types: Int32Array } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  while (tokens.length < size) {
    tokens.push(`\u2581w${tokens.length}`);
    types.push(1);
  }
  return { tokens, types: Int32Array.from(types) };
}

function metadata(s: FamilyShape, layers: number, type: GgufType): [string, Value][] {
  const arch = s.family;
  const { tokens, types } = vocabulary(s.vocab);
  return [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: `${s.model} width, ${layers} layers (synthetic, unmask bench)` }],
    ['general.alignment', { type: 'u32', value: ALIGNMENT }],
    ['general.file_type', { type: 'u32', value: FILE_TYPE[type] }],
    [`${arch}.context_length`, { type: 'u32', value: Math.min(s.maxPositions, 32768) }],
    [`${arch}.embedding_length`, { type: 'u32', value: s.hidden }],
    [`${arch}.block_count`, { type: 'u32', value: layers }],
    [`${arch}.feed_forward_length`, { type: 'u32', value: s.mlp }],
    [`${arch}.attention.head_count`, { type: 'u32', value: s.heads }],
    [`${arch}.attention.head_count_kv`, { type: 'u32', value: s.kvHeads }],
    [`${arch}.rope.dimension_count`, { type: 'u32', value: s.headDim }],
    [`${arch}.rope.freq_base`, { type: 'f32', value: s.ropeTheta }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: s.rmsNormEps }],
    [`${arch}.vocab_size`, { type: 'u32', value: s.vocab }],
    ['diffusion.shift_logits', { type: 'bool', value: s.family === 'dream' }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: tokens }],
    ['tokenizer.ggml.scores', { type: 'f32s', value: new Float32Array(tokens.length) }],
    ['tokenizer.ggml.token_type', { type: 'i32s', value: types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ];
}

const align = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;
const ROWS_PER_PIECE = 2048;

export interface WrittenGguf {
  readonly path: string;
  readonly bytes: number;
  readonly type: GgufType;
}

/** Writes the checkpoint in `checkpointDir` as a GGUF of `type` at `path`. */
export function writeGguf(
  checkpointDir: string,
  s: FamilyShape,
  layers: number,
  type: GgufType,
  path: string,
): WrittenGguf {
  const tensors = ggufTensors(s, layers, type);
  const header = new Bytes();
  header.push(Buffer.from('GGUF', 'ascii'));
  header.u32(3);
  header.u64(tensors.length);
  const kv = metadata(s, layers, type);
  header.u64(kv.length);
  for (const [key, value] of kv) {
    header.string(key);
    header.value(value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    header.string(t.name);
    header.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) header.u64(d);
    header.u32(GGML_TYPE[t.type]);
    header.u64(offset);
    offsets.push(offset);
    const width = t.shape.at(-1)!;
    const rows = t.shape.length === 1 ? 1 : t.shape[0]!;
    offset = align(offset + rows * rowBytes(t.type, width));
  }
  const checkpoint = CheckpointTensors.open(checkpointDir);
  // One piece's buffers, reused for every piece (fresh pages cost more than filling them).
  let piece = new Float32Array(0);
  let encodedPiece = new Uint8Array(0);
  /** `count` rows of `width` values of tensor `source` from row `first` into `into` at row `at`. */
  const readRows = (source: string, first: number, count: number, width: number, into: Float32Array, at: number) => {
    let offset = at * width;
    checkpoint.readFloat32Range(source, first * width, count * width, (chunk) => {
      into.set(chunk, offset);
      offset += chunk.length;
    });
  };
  const fd = openSync(path, 'w');
  let written = 0;
  const write = (bytes: Uint8Array) => {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    written += bytes.length;
  };
  try {
    const head = header.concat();
    write(head);
    write(new Uint8Array(align(head.length) - head.length));
    const dataStart = written;
    tensors.forEach((t, n) => {
      write(new Uint8Array(dataStart + offsets[n]! - written));
      const shape = checkpoint.get(t.source).shape;
      if (shape.join() !== t.shape.join())
        throw new Error(`${t.source}: shape [${shape}] in the checkpoint, expected [${t.shape}]`);
      const width = t.shape.at(-1)!;
      const rows = t.shape.length === 1 ? 1 : t.shape[0]!;
      for (let first = 0; first < rows; first += ROWS_PER_PIECE) {
        const count = Math.min(ROWS_PER_PIECE, rows - first);
        if (piece.length < count * width) piece = new Float32Array(ROWS_PER_PIECE * width);
        const values = piece.subarray(0, count * width);
        if (t.permuteHeads)
          for (let r = 0; r < count; r++)
            readRows(t.source, permutedRow(first + r, rows, t.permuteHeads), 1, width, values, r);
        else readRows(t.source, first, count, width, values, 0);
        if (t.type !== 'F32' && encodedPiece.length < count * rowBytes(t.type, width))
          encodedPiece = new Uint8Array(ROWS_PER_PIECE * rowBytes(t.type, width));
        write(encodeRows(t.type, values, width, encodedPiece));
      }
    });
  } finally {
    closeSync(fd);
  }
  return { path, bytes: written, type };
}

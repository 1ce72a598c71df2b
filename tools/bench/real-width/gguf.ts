/**
 * A GGUF (v3) writer for the benchmark's llama.cpp peer: the synthetic checkpoint's weights as
 * F32, F16, Q8_0 or Q4_0, in llama.cpp's `llada` / `dream` architectures, streamed tensor by
 * tensor. Written here because no GGUF writer runs under Node; the block formats follow
 * ggml's reference quantisers (quantize_row_q8_0_ref / quantize_row_q4_0_ref).
 *
 * File layout: magic "GGUF", version 3, tensor count, key/value count; the key/values; one info
 * per tensor (name, dimensions innermost first, ggml type, data offset); padding to
 * `general.alignment` (32); the tensors' data, each at a 32-byte aligned offset.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { float32BitsToFloat16Bits } from '@unmask/core';
import { CheckpointTensors } from '@unmask/convert';
import type { FamilyShape } from './shapes.js';

export type GgufType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0';
export const GGUF_TYPES: readonly GgufType[] = ['F32', 'F16', 'Q8_0', 'Q4_0'];

const GGML_TYPE: Record<GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 };
/** llama.cpp's `general.file_type` (LLAMA_FTYPE_ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0). */
const FILE_TYPE: Record<GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };
const BLOCK = 32;
const ALIGNMENT = 32;

/** Bytes of one row of `width` values in a type. */
export function rowBytes(type: GgufType, width: number): number {
  switch (type) {
    case 'F32':
      return 4 * width;
    case 'F16':
      return 2 * width;
    case 'Q8_0':
      return (width / BLOCK) * 34;
    case 'Q4_0':
      return (width / BLOCK) * 18;
  }
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);
/** fp16 bits of a float32, little-endian into out[at], out[at + 1]. */
function putHalf(out: Uint8Array, at: number, value: number): void {
  scratch[0] = value;
  const h = float32BitsToFloat16Bits(scratchBits[0]!);
  out[at] = h & 0xff;
  out[at + 1] = h >>> 8;
}

/** Q8_0 blocks: fp16 d = max|x| / 127, then 32 int8 roundf(x / d) (halves away from zero). */
export function quantizeQ8_0(x: Float32Array, out: Uint8Array, outOffset = 0): void {
  const codes = new Int8Array(out.buffer, out.byteOffset, out.byteLength);
  for (let b = 0, base = 0; base < x.length; b++, base += BLOCK) {
    let amax = 0;
    for (let j = 0; j < BLOCK; j++) {
      const v = x[base + j]!;
      const a = v < 0 ? -v : v;
      if (a > amax) amax = a;
    }
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const at = outOffset + b * 34;
    putHalf(out, at, d);
    for (let j = 0; j < BLOCK; j++) {
      const v = x[base + j]! * id;
      codes[at + 2 + j] = v >= 0 ? Math.floor(v + 0.5) : -Math.floor(0.5 - v);
    }
  }
}

/**
 * Q4_0 blocks: fp16 d = m / −8 where m is the value of largest magnitude (sign kept), codes
 * min(15, trunc(x / d + 8.5)); byte j holds element j (low nibble) and element j + 16 (high).
 */
export function quantizeQ4_0(x: Float32Array, out: Uint8Array, outOffset = 0): void {
  for (let b = 0, base = 0; base < x.length; b++, base += BLOCK) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < BLOCK; j++) {
      const v = x[base + j]!;
      const a = v < 0 ? -v : v;
      if (a > amax) {
        amax = a;
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d ? Math.fround(1 / d) : 0;
    const at = outOffset + b * 18;
    putHalf(out, at, d);
    for (let j = 0; j < BLOCK / 2; j++) {
      const lo = Math.min(15, Math.trunc(Math.fround(Math.fround(x[base + j]! * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(Math.fround(Math.fround(x[base + j + BLOCK / 2]! * id) + 8.5)));
      out[at + 2 + j] = lo | (hi << 4);
    }
  }
}

/** Encodes `rows` of float32 values in a type (into `into` when it is large enough). */
export function encodeRows(type: GgufType, values: Float32Array, width: number, into?: Uint8Array): Uint8Array {
  const rows = values.length / width;
  if (type === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const length = rows * rowBytes(type, width);
  const out = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  if (type === 'F16') {
    const halves = new Uint16Array(out.buffer, out.byteOffset, out.length / 2);
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) halves[i] = float32BitsToFloat16Bits(bits[i]!);
  } else if (type === 'Q8_0') quantizeQ8_0(values, out);
  else quantizeQ4_0(values, out);
  return out;
}

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

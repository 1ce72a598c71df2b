/**
 * GGUF's tensor encodings for the benchmark's llama.cpp peer: F32, F16, and ggml's 32-value
 * blocks Q8_0 and Q4_0, following ggml's reference quantisers (quantize_row_q8_0_ref /
 * quantize_row_q4_0_ref). Written here because no GGUF writer runs under Node (gguf.ts).
 */
import { float32BitsToFloat16Bits } from '@unmask/core';

export type GgufType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0';
export const GGUF_TYPES: readonly GgufType[] = ['F32', 'F16', 'Q8_0', 'Q4_0'];

/** ggml's type codes. */
export const GGML_TYPE: Record<GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 };
/** llama.cpp's `general.file_type` (LLAMA_FTYPE_ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0). */
export const FILE_TYPE: Record<GgufType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };
const BLOCK = 32;

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

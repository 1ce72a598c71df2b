/**
 * The PyTorch peer's weights rebuilt from a bundle's own ONNX initializers, so that the peer runs
 * on any bundle exported by tools/train (export_lm.py: torch.onnx.export of MaskedDiffusionLM),
 * the default model included, without a PyTorch checkpoint beside it.
 *
 torch.onnx.export names the norm weights (`model.layers.{i}.input_layernorm.weight`, …; equal
 * ones merged into one initializer that Identity nodes rename) and the embedding, but folds every
 * nn.Linear weight into an anonymous `onnx::MatMul_N` initializer stored transposed ([in, out]).
 * Those are taken in graph order, which is the forward's order: per layer q, k, v, o, gate, up,
 * down (lm.py), then the head; each is checked against the shape the manifest's sizes imply. The rotary base comes from the inverse-frequency constant
 * (1, θ^(−2/D), θ^(−4/D), …) and the RMS norm epsilon from the constant added to ReduceMean's
 * output. The result is a float32 safetensors file with lm.py's parameter names and the
 * LMConfig to build the model with; the benchmark's peer comparison (token-for-token equal
 * canvases) and bundle-weights.test.ts (equal to the tiny bundle's own PyTorch weights) check it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { ManifestSizes } from '@unmask/core';

function varint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [result, pos];
    scale *= 128;
  }
}

interface Field {
  readonly field: number;
  readonly int?: number;
  readonly bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = varint(buf, pos);
    pos = next;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const [v, p] = varint(buf, pos);
      pos = p;
      yield { field, int: v };
    } else if (wire === 2) {
      const [len, p] = varint(buf, pos);
      yield { field, bytes: buf.subarray(p, p + len) };
      pos = p + len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) {
      yield { field, bytes: buf.subarray(pos, pos + 4) };
      pos += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** float32 values (raw_data or float_data); undefined for other types or external data. */
  readonly data?: Float32Array;
}

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** A Constant's value tensor. */
  readonly value?: OnnxTensor;
  readonly ints: ReadonlyMap<string, number>;
}

function readTensor(buf: Uint8Array): OnnxTensor {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  for (const f of fields(buf)) {
    if (f.field === 1) {
      if (f.int !== undefined) dims.push(f.int);
      else {
        let p = 0;
        while (p < f.bytes!.length) {
          const [v, q] = varint(f.bytes!, p);
          dims.push(v);
          p = q;
        }
      }
    } else if (f.field === 2) dataType = f.int!;
    else if (f.field === 8) name = text(f.bytes!);
    else if (f.field === 9) raw = f.bytes;
    else if (f.field === 4 && f.bytes) {
      const copy = f.bytes.slice();
      floats.push(...new Float32Array(copy.buffer, 0, copy.length / 4));
    }
  }
  if (dataType !== 1) return { name, dims };
  const data = raw ? new Float32Array(raw.slice().buffer) : floats.length ? Float32Array.from(floats) : undefined;
  return { name, dims, ...(data ? { data } : {}) };
}

/** The initializers and nodes of an ONNX model file (weights inline only). */
export function readOnnxModel(path: string): { initializers: Map<string, OnnxTensor>; nodes: OnnxNode[] } {
  const model = new Uint8Array(readFileSync(path));
  let graph: Uint8Array | undefined;
  for (const f of fields(model)) if (f.field === 7) graph = f.bytes;
  if (!graph) throw new Error(`${path}: no graph in the ONNX model`);
  const initializers = new Map<string, OnnxTensor>();
  const nodes: OnnxNode[] = [];
  for (const f of fields(graph)) {
    if (f.field === 5) {
      const t = readTensor(f.bytes!);
      initializers.set(t.name, t);
    } else if (f.field === 1) {
      let op = '';
      const inputs: string[] = [];
      const outputs: string[] = [];
      const ints = new Map<string, number>();
      let value: OnnxTensor | undefined;
      for (const n of fields(f.bytes!)) {
        if (n.field === 1) inputs.push(text(n.bytes!));
        else if (n.field === 2) outputs.push(text(n.bytes!));
        else if (n.field === 4) op = text(n.bytes!);
        else if (n.field === 5) {
          let attr = '';
          let int: number | undefined;
          let tensor: OnnxTensor | undefined;
          for (const a of fields(n.bytes!)) {
            if (a.field === 1) attr = text(a.bytes!);
            else if (a.field === 3) int = a.int;
            else if (a.field === 5) tensor = readTensor(a.bytes!);
          }
          if (int !== undefined) ints.set(attr, int);
          if (attr === 'value' && tensor) value = tensor;
        }
      }
      nodes.push({ op, inputs, outputs, ints, ...(value ? { value } : {}) });
    }
  }
  return { initializers, nodes };
}

/** lm.py's LMConfig fields the peer builds MaskedDiffusionLM with. */
export interface PeerLmConfig {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly head_dim: number;
  readonly max_position_embeddings: number;
  readonly rope_theta: number;
  readonly rms_norm_eps: number;
  readonly tie_word_embeddings: false;
}

export interface BundleWeights {
  readonly config: PeerLmConfig;
  /** lm.py parameter name → [shape, float32 values] in PyTorch's [out, in] layout. */
  readonly tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Rebuilds the LM's PyTorch weights from `lm.onnx` and `embed.onnx` of a tools/train export. */
export function bundleWeights(lmGraph: string, embedGraph: string, sizes: ManifestSizes): BundleWeights {
  const lm = readOnnxModel(lmGraph);
  const embed = readOnnxModel(embedGraph);
  const {
    hidden_size: H,
    num_layers: L,
    num_attention_heads: A,
    num_key_value_heads: K,
    head_dim: D,
    vocab_size: V,
  } = sizes;
  const fail = (why: string): never => {
    throw new Error(`${lmGraph}: cannot rebuild PyTorch weights: ${why}`);
  };
  const constants = new Map<string, OnnxTensor>();
  for (const n of lm.nodes) if (n.op === 'Constant' && n.value && n.outputs[0]) constants.set(n.outputs[0], n.value);
  const constantValue = (name: string) => lm.initializers.get(name) ?? constants.get(name);

  // Linear weights in graph order, as PyTorch [out, in].
  const transposedBy = new Map<string, string>();
  for (const n of lm.nodes)
    if (n.op === 'Transpose' && n.inputs[0] && n.outputs[0]) transposedBy.set(n.outputs[0], n.inputs[0]);
  const linears: { shape: number[]; data: Float32Array }[] = [];
  for (const n of lm.nodes) {
    if (n.op !== 'MatMul' && n.op !== 'Gemm') continue;
    const input = n.inputs[1]!;
    const source = transposedBy.get(input) ?? input;
    const t = lm.initializers.get(source);
    if (t?.dims.length !== 2) continue;
    if (!t.data) fail(`initializer ${source} has no inline float32 data (external data is not read here)`);
    const [rows, cols] = t.dims as [number, number];
    const storedOutIn = transposedBy.has(input) || (n.op === 'Gemm' && n.ints.get('transB') === 1);
    linears.push(
      storedOutIn
        ? { shape: [rows, cols], data: t.data! }
        : { shape: [cols, rows], data: transpose(t.data!, rows, cols) },
    );
  }
  if (linears.length !== 7 * L + 1)
    fail(`expected ${7 * L + 1} linear weights (7 per layer and the head), found ${linears.length}`);
  const I = linears[4]!.shape[0]!;
  const expected = [
    [A * D, H],
    [K * D, H],
    [K * D, H],
    [H, A * D],
    [I, H],
    [I, H],
    [H, I],
  ];
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const parts = [
    'self_attn.q_proj',
    'self_attn.k_proj',
    'self_attn.v_proj',
    'self_attn.o_proj',
    'mlp.gate_proj',
    'mlp.up_proj',
    'mlp.down_proj',
  ];
  for (let i = 0; i < L; i++) {
    parts.forEach((part, j) => {
      const w = linears[7 * i + j]!;
      if (w.shape.join() !== expected[j]!.join())
        fail(`layer ${i} ${part}: shape [${w.shape}] where the sizes imply [${expected[j]}]`);
      tensors.set(`layers.${i}.${part}.weight`, w);
    });
  }
  const head = linears[7 * L]!;
  if (head.shape.join() !== [V, H].join()) fail(`the head has shape [${head.shape}], expected [${V}, ${H}]`);
  tensors.set('lm_head.weight', head);
  const named = (graph: ReturnType<typeof readOnnxModel>, name: string, shape: number[]) => {
    // The exporter keeps one of several equal initializers and names the others through Identity nodes.
    const identity = new Map(graph.nodes.filter((n) => n.op === 'Identity').map((n) => [n.outputs[0], n.inputs[0]]));
    const find = (x: string) => graph.initializers.get(x) ?? graph.initializers.get(identity.get(x) ?? '');
    const t = find(name) ?? find(`model.${name}`);
    if (!t?.data || t.dims.join() !== shape.join()) fail(`no float32 initializer ${name} of shape [${shape}]`);
    return { shape, data: t!.data! };
  };
  for (let i = 0; i < L; i++) {
    tensors.set(`layers.${i}.input_layernorm.weight`, named(lm, `layers.${i}.input_layernorm.weight`, [H]));
    tensors.set(
      `layers.${i}.post_attention_layernorm.weight`,
      named(lm, `layers.${i}.post_attention_layernorm.weight`, [H]),
    );
  }
  tensors.set('norm.weight', named(lm, 'norm.weight', [H]));
  tensors.set('embed_tokens.weight', named(embed, 'embed_tokens.weight', [V, H]));

  // Rotary base: the inverse frequencies 1, θ^(−2/D), …
  let ropeTheta: number | undefined;
  for (const t of [...lm.initializers.values(), ...constants.values()]) {
    const f = t.data;
    if (!f || f.length !== D / 2 || f[0] !== 1 || !(f[1]! < 1)) continue;
    ropeTheta = f[1]! ** (-D / 2);
  }
  if (ropeTheta === undefined) fail(`no inverse-frequency constant of length ${D / 2}`);
  // RMS norm epsilon: the scalar added to ReduceMean's output.
  const reduceOutputs = new Set(lm.nodes.filter((n) => n.op === 'ReduceMean').map((n) => n.outputs[0]));
  let eps: number | undefined;
  for (const n of lm.nodes) {
    if (n.op !== 'Add' || !n.inputs.some((x) => reduceOutputs.has(x))) continue;
    const other = n.inputs.find((x) => !reduceOutputs.has(x));
    const v = other === undefined ? undefined : constantValue(other)?.data;
    if (v?.length === 1) eps = v[0];
  }
  if (eps === undefined) fail('no epsilon constant after ReduceMean');
  return {
    config: {
      vocab_size: V,
      hidden_size: H,
      intermediate_size: I,
      num_hidden_layers: L,
      num_attention_heads: A,
      num_key_value_heads: K,
      head_dim: D,
      max_position_embeddings: sizes.max_positions,
      // θ is a power of ten in every exporter config; round off float32's error in θ^(−2/D).
      rope_theta: Number(ropeTheta!.toPrecision(5)),
      rms_norm_eps: Number(eps!.toPrecision(4)),
      tie_word_embeddings: false,
    },
    tensors,
  };
}

/** Writes the tensors as a float32 safetensors file (what export_lm.read_safetensors reads). */
export function writeSafetensors(path: string, tensors: BundleWeights['tensors']): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(
    path,
    Buffer.concat([
      length,
      Buffer.from(json),
      ...[...tensors.values()].map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
    ]),
  );
}

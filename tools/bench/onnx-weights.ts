/**
 * A minimal ONNX protobuf reader: the weight matrices a graph multiplies by (MatMul / Gemm nodes
 * whose second input is a 2-D initializer, possibly through a Transpose). Enough to count a
 * graph's multiply-accumulates without the onnx package. Weights stored as external data still
 * carry their dims in the graph file, so only the graph file is read.
 */
import { readFileSync } from 'node:fs';

interface Field {
  readonly field: number;
  readonly wire: number;
  readonly value: bigint | Uint8Array;
}

function varint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = varint(buf, pos);
    pos = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, p] = varint(buf, pos);
      pos = p;
      yield { field, wire, value: v };
    } else if (wire === 2) {
      const [len, p] = varint(buf, pos);
      const end = p + Number(len);
      yield { field, wire, value: buf.subarray(p, end) };
      pos = end;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function packedVarints(b: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < b.length) {
    const [v, p] = varint(b, pos);
    out.push(Number(v));
    pos = p;
  }
  return out;
}

export interface MatMulWeight {
  /** The initializer's name. */
  readonly name: string;
  /** Its dims as stored. */
  readonly dims: readonly number[];
  readonly op: string;
}

/** Every 2-D initializer that is the weight operand of a MatMul or Gemm. */
export function matmulWeights(path: string): MatMulWeight[] {
  const model = new Uint8Array(readFileSync(path));
  let graph: Uint8Array | undefined;
  for (const f of fields(model)) if (f.field === 7 && f.value instanceof Uint8Array) graph = f.value;
  if (!graph) throw new Error(`${path}: no graph in the ONNX model`);
  const dims = new Map<string, number[]>();
  const nodes: { op: string; inputs: string[]; outputs: string[] }[] = [];
  for (const f of fields(graph)) {
    if (!(f.value instanceof Uint8Array)) continue;
    if (f.field === 5) {
      let name = '';
      const d: number[] = [];
      for (const t of fields(f.value)) {
        if (t.field === 8 && t.value instanceof Uint8Array) name = text(t.value);
        else if (t.field === 1) d.push(...(t.value instanceof Uint8Array ? packedVarints(t.value) : [Number(t.value)]));
      }
      dims.set(name, d);
    } else if (f.field === 1) {
      const node = { op: '', inputs: [] as string[], outputs: [] as string[] };
      for (const n of fields(f.value)) {
        if (!(n.value instanceof Uint8Array)) continue;
        if (n.field === 1) node.inputs.push(text(n.value));
        else if (n.field === 2) node.outputs.push(text(n.value));
        else if (n.field === 4) node.op = text(n.value);
      }
      nodes.push(node);
    }
  }
  // Initializers reached through a Transpose count as the transposed weight.
  const alias = new Map<string, string>();
  for (const n of nodes)
    if (n.op === 'Transpose' && n.inputs[0] && dims.has(n.inputs[0]) && n.outputs[0])
      alias.set(n.outputs[0], n.inputs[0]);
  const out: MatMulWeight[] = [];
  for (const n of nodes) {
    if (n.op !== 'MatMul' && n.op !== 'Gemm') continue;
    for (const input of n.inputs.slice(0, 2)) {
      const name = alias.get(input) ?? input;
      const d = dims.get(name);
      if (d && d.length === 2) out.push({ name, dims: d, op: n.op });
    }
  }
  return out;
}

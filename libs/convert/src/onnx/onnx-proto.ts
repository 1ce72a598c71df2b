/**
 * Protocol-buffer wire encoding of the part of the ONNX schema (onnx.proto, IR version 8) that
 * the converter writes: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto. Hand-written instead of a generated protobuf library so that a model can be
 * written as a stream: every message's length is computed from its fields, and a tensor's
 * `raw_data` is written from its source after its header without holding the model in memory.
 *
 * Field numbers (onnx.proto): ModelProto {ir_version 1, producer_name 2, producer_version 3,
 * graph 7, opset_import 8}; OperatorSetIdProto {domain 1, version 2}; GraphProto {node 1, name 2,
 * initializer 5, input 11, output 12}; NodeProto {input 1, output 2, name 3, op_type 4,
 * attribute 5, domain 7}; AttributeProto {name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20};
 * TensorProto {dims 1, data_type 2, int64_data 7, name 8, raw_data 9, external_data 13,
 * data_location 14}; StringStringEntryProto {key 1, value 2}; ValueInfoProto {name 1, type 2};
 * TypeProto {tensor_type 1}; TypeProto.Tensor {elem_type 1, shape 2}; TensorShapeProto {dim 1};
 * Dimension {dim_value 1, dim_param 2}.
 */

/** TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  BFLOAT16: 16,
} as const;
export type DataTypeName = keyof typeof DataType;

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_BYTES = 2;

/** AttributeProto.AttributeType values. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Bytes of `value` as a varint (non-negative, or negative int64 as 10 bytes). */
export function varintSize(value: number | bigint): number {
  let v = BigInt.asUintN(64, BigInt(value));
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

/** Accumulates one message's fields; `finish()` is its encoding without tag or length. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(part: Uint8Array): this {
    this.parts.push(part);
    this.size += part.length;
    return this;
  }

  private rawVarint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number): this {
    return this.rawVarint((field << 3) | wire);
  }

  varint(field: number, value: number | bigint): this {
    return this.tag(field, WIRE_VARINT).rawVarint(value);
  }

  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.tag(field, WIRE_FIXED32).push(bytes);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, WIRE_BYTES).rawVarint(value.length).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  /** A field's tag and length only: the caller writes `length` bytes of payload after it. */
  lengthPrefix(field: number, length: number): this {
    return this.tag(field, WIRE_BYTES).rawVarint(length);
  }

  /** The message's encoding (its fields, without its own tag or length). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

function isIntList(value: AttributeValue): value is readonly number[] {
  return Array.isArray(value);
}

export type AttributeValue =
  | number
  | string
  | readonly number[]
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly tensor: ProtoWriter };

/** AttributeProto. Integers (and integer arrays) become INT/INTS; `{float}`/`{floats}` force floats. */
export function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`attribute ${name}: ${value} is not an integer; pass { float: ${value} }`);
    return w.varint(3, value).varint(20, AttributeType.INT);
  }
  if (typeof value === 'string') return w.string(4, value).varint(20, AttributeType.STRING);
  if (isIntList(value)) {
    for (const v of value) w.varint(8, v);
    return w.varint(20, AttributeType.INTS);
  }
  if ('float' in value) return w.float(2, value.float).varint(20, AttributeType.FLOAT);
  if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    return w.varint(20, AttributeType.FLOATS);
  }
  return w.message(5, value.tensor).varint(20, AttributeType.TENSOR);
}

export interface NodeFields {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export function encodeNode(node: NodeFields): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(name, value));
  if (node.domain) w.string(7, node.domain);
  return w;
}

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

export function encodeValueInfo(name: string, dataType: DataTypeName, dims: readonly Dim[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of dims)
    shape.message(1, typeof dim === 'number' ? new ProtoWriter().varint(1, dim) : new ProtoWriter().string(2, dim));
  const tensorType = new ProtoWriter().varint(1, DataType[dataType]).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** TensorProto fields before the data: dims, data_type, name. */
export function encodeTensorHeader(name: string, dataType: DataTypeName, dims: readonly number[]): ProtoWriter {
  const w = new ProtoWriter();
  for (const dim of dims) w.varint(1, dim);
  return w.varint(2, DataType[dataType]).string(8, name);
}

/** A TensorProto whose data lives in an external file (data_location EXTERNAL). */
export function encodeExternalTensor(
  name: string,
  dataType: DataTypeName,
  dims: readonly number[],
  location: string,
  offset: number,
  length: number,
): ProtoWriter {
  const w = encodeTensorHeader(name, dataType, dims);
  const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
  w.message(13, entry('location', location))
    .message(13, entry('offset', String(offset)))
    .message(13, entry('length', String(length)));
  return w.varint(14, 1);
}

/** An in-memory TensorProto with raw little-endian data (for constants and attributes). */
export function encodeInlineTensor(
  name: string,
  dataType: DataTypeName,
  dims: readonly number[],
  raw: Uint8Array,
): ProtoWriter {
  return encodeTensorHeader(name, dataType, dims).bytes(9, raw);
}

export const TENSOR_RAW_DATA_FIELD = 9;
export const GRAPH_FIELDS = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
export const MODEL_FIELDS = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;

/** Bytes that a length-delimited field of `length` payload bytes takes, tag included. */
export function lengthDelimitedSize(field: number, length: number): number {
  return varintSize((field << 3) | WIRE_BYTES) + varintSize(length) + length;
}

export function encodeOpset(domain: string, version: number): ProtoWriter {
  const w = new ProtoWriter();
  if (domain) w.string(1, domain);
  return w.varint(2, version);
}

/**
 * Builds one ONNX graph (inputs, outputs, nodes, initializers) and writes it as a model file.
 * Initializers are sources that produce their bytes on demand, so writing streams: at no time
 * is more than one source chunk of weight data in memory. When the initializers together
 * exceed `externalDataThreshold` (default 64 MiB; protobuf's 2 GiB message limit is the hard
 * bound), every initializer of at least `externalMinBytes` goes to `<file>.data` beside the
 * model, each at a 4096-byte aligned offset, and the model file keeps only the graph.
 * onnxruntime memory-maps such data instead of copying it out of the parsed model, so weights
 * that a kernel prepacks (MatMulNBits, Gemm) are not resident twice: two LLaDA-8B-width layers
 * (vocabulary 512) held 1.86× / 2.71× their int8 / int4 file after a forward with inline weights,
 * 1.78× / 2.34× with external ones; the rest is the prepacked copy (docs/bench/real-width.md).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import {
  type AttributeValue,
  type DataTypeName,
  type Dim,
  encodeExternalTensor,
  encodeNode,
  encodeOpset,
  encodeTensorHeader,
  encodeValueInfo,
  GRAPH_FIELDS,
  lengthDelimitedSize,
  MODEL_FIELDS,
  type NodeFields,
  ProtoWriter,
  TENSOR_RAW_DATA_FIELD,
} from './onnx-proto.js';

/** Weight data produced on demand, in chunks, exactly `byteLength` bytes in all. */
export interface InitializerSource {
  readonly dataType: DataTypeName;
  readonly dims: readonly number[];
  readonly byteLength: number;
  produce(write: (chunk: Uint8Array) => void): void;
}

export interface WriteGraphOptions {
  /** Total initializer bytes above which weights go to an external data file. Default 64 MiB. */
  readonly externalDataThreshold?: number;
  /** With external data, initializers smaller than this stay in the model file. Default 1024. */
  readonly externalMinBytes?: number;
  readonly opsetVersion?: number;
  readonly producerName?: string;
  /** Called after each initializer is written. */
  readonly onInitializer?: (name: string, done: number, total: number) => void;
}

export interface WrittenGraph {
  readonly path: string;
  /** The external data file's name (beside the model), when one was written. */
  readonly externalData?: string;
  readonly initializerBytes: number;
}

const ALIGN = 4096;
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 64 * 1024 ** 2;
const IR_VERSION = 8;

/** An initializer from data already in memory. */
export function memorySource(
  dataType: DataTypeName,
  dims: readonly number[],
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array,
): InitializerSource {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { dataType, dims, byteLength: bytes.length, produce: (write) => write(bytes) };
}

export class OnnxGraphBuilder {
  private readonly nodes: NodeFields[] = [];
  private readonly inputs: ProtoWriter[] = [];
  private readonly outputs: ProtoWriter[] = [];
  private readonly initializers = new Map<string, InitializerSource>();
  private readonly names = new Set<string>();
  /** Operator domains other than the default one that nodes use, with their opset versions. */
  private readonly domains = new Map<string, number>();
  private counter = 0;

  constructor(readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`graph ${this.name}: the name "${name}" is used twice`);
    this.names.add(name);
    return name;
  }

  input(name: string, dataType: DataTypeName, dims: readonly Dim[]): string {
    this.inputs.push(encodeValueInfo(this.claim(name), dataType, dims));
    return name;
  }

  /** Declares `name` (already produced by a node) a graph output. */
  output(name: string, dataType: DataTypeName, dims: readonly Dim[]): string {
    this.outputs.push(encodeValueInfo(name, dataType, dims));
    return name;
  }

  initializer(name: string, source: InitializerSource): string {
    const expected = source.dims.reduce((a, b) => a * b, 1) * bytesPerElement(source.dataType);
    if (expected !== source.byteLength)
      throw new Error(
        `initializer ${name}: ${source.byteLength} bytes for dims [${source.dims.join(', ')}], expected ${expected}`,
      );
    this.initializers.set(this.claim(name), source);
    return name;
  }

  floats(name: string, values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    return this.initializer(name, memorySource('FLOAT', dims, Float32Array.from(values)));
  }

  int64s(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(name, memorySource('INT64', dims, BigInt64Array.from(values.map(BigInt))));
  }

  /** Adds a node; returns its output names (fresh ones unless `outputs` names them). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    outputs: number | readonly string[] = 1,
  ): string[] {
    const names =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`)
        : [...outputs];
    names.forEach((n) => this.claim(n));
    this.nodes.push({ opType, inputs, outputs: names, name: `${opType}_${this.nodes.length}`, attributes });
    return names;
  }

  /** A single-output node of a non-default operator domain (e.g. `com.microsoft` contrib ops, version 1). */
  domainOp(
    domain: string,
    version: number,
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
  ): string {
    const output = this.claim(`${opType.toLowerCase()}_${this.counter++}`);
    this.domains.set(domain, version);
    this.nodes.push({ opType, inputs, outputs: [output], name: `${opType}_${this.nodes.length}`, attributes, domain });
    return output;
  }

  /**
   * A node of a non-default operator domain with several outputs: `wanted[i]` says whether output i
   * is produced (an optional output left out gets the empty name, `''`, as ONNX spells it).
   */
  domainNode(
    domain: string,
    version: number,
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>>,
    wanted: readonly boolean[],
  ): string[] {
    const names = wanted.map((w) => (w ? this.claim(`${opType.toLowerCase()}_${this.counter++}`) : ''));
    this.domains.set(domain, version);
    this.nodes.push({ opType, inputs, outputs: names, name: `${opType}_${this.nodes.length}`, attributes, domain });
    return names;
  }

  /** A single-output node. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    output?: string,
  ): string {
    return this.node(opType, inputs, attributes, output === undefined ? 1 : [output])[0]!;
  }

  /** Writes the model to `path` (and `<path>.data` when the weights go external). */
  write(path: string, options: WriteGraphOptions = {}): WrittenGraph {
    const threshold = options.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD;
    const minBytes = options.externalMinBytes ?? 1024;
    const entries = [...this.initializers];
    const initializerBytes = entries.reduce((sum, [, s]) => sum + s.byteLength, 0);
    const external = initializerBytes > threshold;
    const dataName = `${basename(path)}.data`;
    const total = entries.length;
    let done = 0;
    const progress = (name: string) => options.onInitializer?.(name, ++done, total);

    // Graph body pieces, in field order; streamed pieces carry their source.
    type Piece = { bytes: Uint8Array } | { header: Uint8Array; source: InitializerSource; name: string };
    const pieces: Piece[] = [];
    const field = (number: number, message: ProtoWriter) =>
      pieces.push({ bytes: new ProtoWriter().message(number, message).finish() });
    for (const node of this.nodes) field(GRAPH_FIELDS.node, encodeNode(node));
    pieces.push({ bytes: new ProtoWriter().string(GRAPH_FIELDS.name, this.name).finish() });

    if (external) {
      const fd = openSync(`${path}.data`, 'w');
      try {
        let offset = 0;
        for (const [name, source] of entries) {
          if (source.byteLength < minBytes) {
            pieces.push(inlinePiece(name, source));
            continue;
          }
          const padding = (ALIGN - (offset % ALIGN)) % ALIGN;
          if (padding > 0) offset += writeAll(fd, new Uint8Array(padding));
          const start = offset;
          offset += produceInto(fd, name, source);
          field(
            GRAPH_FIELDS.initializer,
            encodeExternalTensor(name, source.dataType, source.dims, dataName, start, source.byteLength),
          );
          progress(name);
        }
      } finally {
        closeSync(fd);
      }
    } else {
      for (const [name, source] of entries) pieces.push(inlinePiece(name, source));
    }
    for (const input of this.inputs) field(GRAPH_FIELDS.input, input);
    for (const output of this.outputs) field(GRAPH_FIELDS.output, output);

    const graphLength = pieces.reduce(
      (sum, p) => sum + ('bytes' in p ? p.bytes.length : p.header.length + p.source.byteLength),
      0,
    );
    const head = new ProtoWriter()
      .varint(MODEL_FIELDS.irVersion, IR_VERSION)
      .string(MODEL_FIELDS.producerName, options.producerName ?? 'unmask-convert')
      .message(MODEL_FIELDS.opsetImport, encodeOpset('', options.opsetVersion ?? 17));
    for (const [domain, version] of this.domains) head.message(MODEL_FIELDS.opsetImport, encodeOpset(domain, version));
    head.lengthPrefix(MODEL_FIELDS.graph, graphLength);
    const fd = openSync(path, 'w');
    try {
      writeAll(fd, head.finish());
      for (const piece of pieces) {
        if ('bytes' in piece) {
          writeAll(fd, piece.bytes);
        } else {
          writeAll(fd, piece.header);
          produceInto(fd, piece.name, piece.source);
          progress(piece.name);
        }
      }
    } finally {
      closeSync(fd);
    }
    return { path, ...(external ? { externalData: dataName } : {}), initializerBytes };
  }
}

/** The initializer field's tag and length, the TensorProto header and the raw_data prefix. */
function inlinePiece(
  name: string,
  source: InitializerSource,
): { header: Uint8Array; source: InitializerSource; name: string } {
  const tensorHeader = encodeTensorHeader(name, source.dataType, source.dims);
  const tensorLength = tensorHeader.length + lengthDelimitedSize(TENSOR_RAW_DATA_FIELD, source.byteLength);
  const header = new ProtoWriter().lengthPrefix(GRAPH_FIELDS.initializer, tensorLength);
  const prefix = new ProtoWriter().lengthPrefix(TENSOR_RAW_DATA_FIELD, source.byteLength);
  const bytes = new Uint8Array(header.length + tensorHeader.length + prefix.length);
  bytes.set(header.finish(), 0);
  bytes.set(tensorHeader.finish(), header.length);
  bytes.set(prefix.finish(), header.length + tensorHeader.length);
  return { header: bytes, source, name };
}

function writeAll(fd: number, bytes: Uint8Array): number {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  return bytes.length;
}

function produceInto(fd: number, name: string, source: InitializerSource): number {
  let written = 0;
  source.produce((chunk) => {
    written += writeAll(fd, chunk);
  });
  if (written !== source.byteLength)
    throw new Error(`initializer ${name}: its source produced ${written} bytes, expected ${source.byteLength}`);
  return written;
}

export function bytesPerElement(dataType: DataTypeName): number {
  switch (dataType) {
    case 'FLOAT':
    case 'INT32':
      return 4;
    case 'INT64':
      return 8;
    case 'FLOAT16':
    case 'BFLOAT16':
      return 2;
    default:
      return 1;
  }
}

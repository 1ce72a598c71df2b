/**
 * An ONNX model with some graph outputs removed, for a session that never fetches them:
 * onnxruntime keeps every graph output of a run alive until the run ends whether it is fetched or
 * not (measured: 16 unfetched 64 MiB outputs raised the peak by 1 GiB), so an LM graph whose
 * `present.*` keys/values are outputs holds every layer's for a pass that keeps no cache.
 * Hand-written rather than a protobuf library: it touches three fields (ModelProto.graph,
 * GraphProto.output, ValueInfoProto's name and tensor type) and copies every other byte as it is.
 */
import { UnmaskError } from '../errors.js';
import type { GraphIO, TensorElementType } from './graph-runner.js';

/** ONNX TensorProto.DataType codes the runtime supports. */
const ELEMENT_TYPES: Readonly<Record<number, TensorElementType>> = {
  1: 'float32',
  2: 'uint8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
};

interface Field {
  readonly number: number;
  readonly wire: number;
  /** The whole field, tag included. */
  readonly start: number;
  readonly end: number;
  /** A length-delimited field's body, or a varint's value. */
  readonly bodyStart: number;
  readonly value: number;
}

function fail(why: string): never {
  throw new UnmaskError('invalid_bundle', `not a readable ONNX model: ${why}`);
}

function varint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, i + 1];
  }
  return fail(`a varint at byte ${at} runs past its message`);
}

/** The fields of one message, in order. */
function fields(bytes: Uint8Array, from = 0, to = bytes.length): Field[] {
  const out: Field[] = [];
  let at = from;
  while (at < to) {
    const start = at;
    const [tag, afterTag] = varint(bytes, at);
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    let value = 0;
    let bodyStart = afterTag;
    if (wire === 0) [value, at] = varint(bytes, afterTag);
    else if (wire === 1) at = afterTag + 8;
    else if (wire === 5) at = afterTag + 4;
    else if (wire === 2) {
      [value, bodyStart] = varint(bytes, afterTag);
      at = bodyStart + value;
    } else fail(`field ${number} has wire type ${wire}`);
    if (at > to) fail(`field ${number} at byte ${start} runs past its message`);
    out.push({ number, wire, start, end: at, bodyStart, value });
  }
  return out;
}

const body = (bytes: Uint8Array, f: Field) => bytes.subarray(f.bodyStart, f.end);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A ValueInfoProto's name and tensor type (ValueInfoProto.name = 1, .type = 2; TypeProto.tensor_type = 1). */
function valueInfo(bytes: Uint8Array): GraphIO | undefined {
  let name: string | undefined;
  let type: TensorElementType | undefined;
  const dims: (number | string)[] = [];
  for (const f of fields(bytes)) {
    if (f.number === 1 && f.wire === 2) name = text(body(bytes, f));
    if (f.number !== 2 || f.wire !== 2) continue;
    const tensor = fields(body(bytes, f)).find((t) => t.number === 1 && t.wire === 2);
    if (!tensor) continue;
    const tensorBytes = body(body(bytes, f), tensor);
    for (const t of fields(tensorBytes)) {
      if (t.number === 1 && t.wire === 0) type = ELEMENT_TYPES[t.value];
      if (t.number !== 2 || t.wire !== 2) continue;
      const shape = body(tensorBytes, t);
      for (const d of fields(shape)) {
        if (d.number !== 1 || d.wire !== 2) continue;
        const dim = body(shape, d);
        const [size] = fields(dim).filter((x) => x.number === 1 || x.number === 2);
        dims.push(!size ? '?' : size.number === 1 ? size.value : text(body(dim, size)));
      }
    }
  }
  return name === undefined || type === undefined ? undefined : { name, type, dims };
}

/**
 * The model without the graph outputs named in `drop` (ModelProto.graph = 7, GraphProto.output =
 * 12), and those outputs as they were declared. Names it does not find are ignored.
 */
export function withoutGraphOutputs(
  model: Uint8Array,
  drop: ReadonlySet<string>,
): { model: Uint8Array; dropped: GraphIO[] } {
  const top = fields(model);
  const graph = top.find((f) => f.number === 7 && f.wire === 2) ?? fail('it has no graph');
  const graphBytes = body(model, graph);
  const dropped: GraphIO[] = [];
  const kept: Uint8Array[] = [];
  for (const f of fields(graphBytes)) {
    if (f.number === 12 && f.wire === 2) {
      const info = valueInfo(body(graphBytes, f));
      if (info && drop.has(info.name)) {
        dropped.push(info);
        continue;
      }
    }
    kept.push(graphBytes.subarray(f.start, f.end));
  }
  if (dropped.length === 0) return { model, dropped };
  const graphLength = kept.reduce((n, part) => n + part.length, 0);
  const header = [...encodeVarint(graph.number * 8 + 2), ...encodeVarint(graphLength)];
  const out = new Uint8Array(model.length - (graph.end - graph.start) + header.length + graphLength);
  let at = 0;
  const put = (part: ArrayLike<number>) => {
    out.set(part, at);
    at += part.length;
  };
  put(model.subarray(0, graph.start));
  put(header);
  for (const part of kept) put(part);
  put(model.subarray(graph.end));
  return { model: out, dropped };
}

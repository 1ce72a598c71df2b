/**
 * Writes a state dict as `torch.save` lays it out (for specs that need a PyTorch checkpoint made
 * from the synthetic tensors): a zip of stored entries `archive/data.pkl` (a protocol-2 pickle
 * of an OrderedDict of `_rebuild_tensor_v2` calls, each naming its storage by a persistent id),
 * `archive/data/<key>` (the raw little-endian elements), `archive/byteorder` and
 * `archive/version`. `torch.load` of Debian's torch 1.13 reads its output (checked by hand).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { CheckpointTensors } from '../src/checkpoint/checkpoint-tensors.js';
import type { StoredTensor } from './checkpoint-fixtures.js';

class PickleWriter {
  private readonly parts: Buffer[] = [];
  op(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  global(module: string, name: string): this {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'utf8'));
    return this;
  }
  string(value: string): this {
    const text = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(text.length);
    this.parts.push(Buffer.from([0x58]), length, text); // BINUNICODE
    return this;
  }
  int(value: number): this {
    const bytes = Buffer.alloc(5);
    bytes[0] = 0x4a; // BININT
    bytes.writeInt32LE(value, 1);
    this.parts.push(bytes);
    return this;
  }
  ints(values: readonly number[]): this {
    this.op(0x28); // MARK
    for (const v of values) this.int(v);
    return this.op(0x74); // TUPLE
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function elementBytes(tensor: StoredTensor): Buffer {
  if (tensor.dtype === 'F32') return Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const words = new Uint32Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.length);
  return Buffer.from(Uint16Array.from(words, (w) => w >>> 16).buffer);
}

function zipStored(entries: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const fileName = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(fileName.length, 28);
    header.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    central.push(header, fileName);
    offset += 30 + fileName.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Writes `tensors` (F32 or BF16) to `path` in torch.save's zip layout, one storage per tensor. */
export function writeTorchCheckpoint(path: string, tensors: ReadonlyMap<string, StoredTensor>): void {
  const pickle = new PickleWriter().op(0x80, 2).global('collections', 'OrderedDict').op(0x29, 0x52, 0x28); // PROTO 2, OrderedDict(), MARK
  const storages: Array<readonly [string, Buffer]> = [];
  let key = 0;
  for (const [name, tensor] of tensors) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    const stride = tensor.shape.map((_, d) => tensor.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    pickle.string(name).global('torch._utils', '_rebuild_tensor_v2').op(0x28); // MARK (args
    pickle
      .op(0x28)
      .string('storage')
      .global('torch', tensor.dtype === 'F32' ? 'FloatStorage' : 'BFloat16Storage')
      .string(String(key))
      .string('cpu')
      .int(count)
      .op(0x74, 0x51); // persistent id tuple, BINPERSID
    pickle
      .int(0)
      .ints(tensor.shape)
      .ints(stride)
      .op(0x89)
      .global('collections', 'OrderedDict')
      .op(0x29, 0x52, 0x74, 0x52); // False, OrderedDict(), TUPLE, REDUCE
    storages.push([`archive/data/${key}`, elementBytes(tensor)]);
    key++;
  }
  pickle.op(0x75, 0x2e); // SETITEMS, STOP
  writeFileSync(
    path,
    zipStored([
      ['archive/data.pkl', pickle.bytes()],
      ['archive/byteorder', Buffer.from('little')],
      ...storages,
      ['archive/version', Buffer.from('3\n')],
    ]),
  );
}

/**
 * Rewrites a synthetic checkpoint folder's `model.safetensors` (float32 and bfloat16 tensors) as
 * `pytorch_model.bin`, or with `shards` > 1 as `pytorch_model-0000i-of-0000n.bin` files listed by
 * `pytorch_model.bin.index.json`, as `save_pretrained(safe_serialization=False)` lays them out.
 */
export function safetensorsToTorch(dir: string, shards = 1): void {
  const checkpoint = CheckpointTensors.open(dir);
  const all = [...checkpoint.tensors.values()].map((t) => {
    if (t.dtype !== 'F32' && t.dtype !== 'BF16')
      throw new Error(`safetensorsToTorch: tensor "${t.name}" is ${t.dtype}`);
    return [t.name, { dtype: t.dtype, shape: t.shape, data: checkpoint.readFloat32(t.name) }] as const;
  });
  rmSync(join(dir, 'model.safetensors'));
  if (shards === 1) {
    writeTorchCheckpoint(join(dir, 'pytorch_model.bin'), new Map(all));
    return;
  }
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(all.length / shards);
  for (let s = 0; s < shards; s++) {
    const file = `pytorch_model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.bin`;
    const part = all.slice(s * per, (s + 1) * per);
    writeTorchCheckpoint(join(dir, file), new Map(part));
    for (const [name] of part) weightMap[name] = file;
  }
  writeFileSync(
    join(dir, 'pytorch_model.bin.index.json'),
    JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2),
  );
}

/** The PyTorch checkpoints written by torch 1.13 (make-torch-fixtures.py). */
export const TORCH_FIXTURES = fileURLToPath(new URL('../test-fixtures/torch-checkpoint/', import.meta.url));

import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UnmaskError } from '@unmask/core';
import { TORCH_FIXTURES, writeTorchCheckpoint } from '../../test-support/torch-writer.js';
import { CheckpointTensors } from './checkpoint-tensors.js';
import { readTorchCheckpoint } from './torch-checkpoint.js';
import { readTorchPickle } from './torch-pickle.js';
import { ZipArchive } from './zip-entries.js';

const fixture = (name: string) => join(TORCH_FIXTURES, name);
const NAMES = [
  'layer.weight',
  'layer.half',
  'layer.bf16',
  'layer.double',
  'layer.count',
  'scalar',
  'shared.first',
  'shared.second',
  'column',
];
const FLOATS = NAMES.filter((n) => n !== 'layer.count');

describe('reading PyTorch checkpoints (torch.save zip archives) without executing them', () => {
  const made: string[] = [];
  const folder = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-torch-'));
    made.push(dir);
    for (const [to, from] of Object.entries(files)) copyFileSync(from, join(dir, to));
    return dir;
  };
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const rawBytes = (checkpoint: CheckpointTensors, name: string) => {
    const t = checkpoint.get(name);
    return readFileSync(t.file).subarray(t.offset, t.offset + t.byteLength);
  };
  const safetensors = () => CheckpointTensors.open(folder({ 'model.safetensors': fixture('tensors.safetensors') }));

  it('reads pytorch_model.bin written by torch 1.13: the state dict’s names in order, dtypes and shapes as in the same tensors saved as safetensors', () => {
    const bin = CheckpointTensors.open(folder({ 'pytorch_model.bin': fixture('tensors.bin') }));
    assert.deepEqual([...bin.tensors.keys()], NAMES, 'the OrderedDict’s _metadata is no tensor');
    const reference = safetensors();
    for (const name of NAMES) {
      assert.equal(bin.get(name).dtype, reference.get(name).dtype, name);
      assert.deepEqual(bin.get(name).shape, reference.get(name).shape, name);
    }
    assert.deepEqual(bin.get('scalar').shape, []);
  });

  it('gives the same values as safetensors for float32, float16, bfloat16 and float64, and the same bytes for int64', () => {
    const bin = CheckpointTensors.open(folder({ 'pytorch_model.bin': fixture('tensors.bin') }), { chunkElements: 2 });
    const reference = safetensors();
    for (const name of FLOATS)
      assert.deepEqual(Array.from(bin.readFloat32(name)), Array.from(reference.readFloat32(name)), name);
    assert.deepEqual(
      Array.from(bin.readFloat32('layer.half')),
      [1.5, -2, 6.097555160522461e-5, 65504, 0.0999755859375],
    );
    assert.deepEqual(
      Array.from(bin.readFloat32('layer.bf16')),
      [1, -2.5, 0.15625, 3.00405527047391e38],
      'torch rounds 3e38 to the nearest bfloat16',
    );
    assert.ok(rawBytes(bin, 'layer.count').equals(rawBytes(reference, 'layer.count')));
  });

  it('reads two views of one shared storage at their offsets, and a size-1 dimension with any stride as contiguous', () => {
    const bin = CheckpointTensors.open(folder({ 'pytorch_model.bin': fixture('tensors.bin') }));
    const first = bin.get('shared.first');
    const second = bin.get('shared.second');
    assert.equal(second.offset - first.offset, 4 * 4, 'elements 2 and 6 of one float32 storage');
    assert.deepEqual(Array.from(bin.readFloat32('shared.first')), [-0.5, -0.25, 0, 0.25]);
    assert.deepEqual(Array.from(bin.readFloat32('shared.second')), [0.5, 0.75, 1, 1.25, 1.5, 1.75]);
    assert.deepEqual(Array.from(bin.readFloat32('column')), [1, 5, 9]);
  });

  it('reads a zip64 archive (64-bit sizes, offsets and end records, as torch writes shards over 4 GiB) like the plain one', () => {
    const plain = readTorchCheckpoint(fixture('tensors.bin'));
    const zip64 = CheckpointTensors.open(folder({ 'pytorch_model.bin': fixture('zip64.bin') }));
    assert.deepEqual([...zip64.tensors.keys()], NAMES);
    const reference = safetensors();
    for (const name of FLOATS)
      assert.deepEqual(Array.from(zip64.readFloat32(name)), Array.from(reference.readFloat32(name)), name);
    assert.notDeepEqual(zip64.get('layer.weight').offset, plain[0]!.offset, 'a different layout was read');
  });

  it('reads shards listed by pytorch_model.bin.index.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-torch-'));
    made.push(dir);
    cpSync(fixture('sharded'), dir, { recursive: true });
    const sharded = CheckpointTensors.open(dir);
    assert.deepEqual([...sharded.tensors.keys()].sort(), [...NAMES].sort());
    assert.equal(new Set([...sharded.tensors.values()].map((t) => t.file)).size, 2);
    const reference = safetensors();
    for (const name of FLOATS)
      assert.deepEqual(Array.from(sharded.readFloat32(name)), Array.from(reference.readFloat32(name)), name);
    const index = JSON.parse(readFileSync(join(dir, 'pytorch_model.bin.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
    };
    index.weight_map['missing.weight'] = 'pytorch_model-00001-of-00002.bin';
    writeFileSync(join(dir, 'pytorch_model.bin.index.json'), JSON.stringify(index));
    assert.throws(
      () => CheckpointTensors.open(dir),
      /tensor "missing\.weight" is listed in shard "pytorch_model-00001-of-00002\.bin" but no shard has it/,
    );
  });

  it('prefers model.safetensors when a folder has both', () => {
    const both = CheckpointTensors.open(
      folder({ 'model.safetensors': fixture('tensors.safetensors'), 'pytorch_model.bin': fixture('malicious.bin') }),
    );
    assert.equal(both.get('layer.weight').file.endsWith('model.safetensors'), true);
  });

  it('reads what the spec’s torch writer (test-support) writes, as the DIFFA spec relies on it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-torch-'));
    made.push(dir);
    const data = Float32Array.from([1, -2, 3.5, 0.25, 5, 6]);
    writeTorchCheckpoint(
      join(dir, 'pytorch_model.bin'),
      new Map([
        ['w', { dtype: 'F32', shape: [3, 2], data }],
        ['b', { dtype: 'BF16', shape: [2], data: Float32Array.from([1.5, -3]) }],
      ]),
    );
    const read = CheckpointTensors.open(dir);
    assert.deepEqual(Array.from(read.readFloat32('w')), Array.from(data));
    assert.deepEqual(Array.from(read.readFloat32('b')), [1.5, -3]);
  });
});

describe('what the PyTorch reader refuses, naming the problem', () => {
  const refuses = (run: () => unknown, pattern: RegExp) =>
    assert.throws(run, (e) => e instanceof UnmaskError && e.code === 'invalid_bundle' && pattern.test(e.message));

  it('refuses a pickle calling os.system (torch.save of an object whose __reduce__ is os.system), before building anything', () => {
    refuses(
      () => readTorchCheckpoint(fixture('malicious.bin')),
      /malicious\.bin \(malicious\/data\.pkl\): the pickle refers to the global posix\.system, which a state dict of tensors does not need; the converter refuses it and executes nothing/,
    );
  });

  it('refuses any global outside the state dict’s, however it is named (GLOBAL or STACK_GLOBAL), and opcodes a state dict never uses', () => {
    const op = (...parts: Array<string | number[]>) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
    refuses(
      () => readTorchPickle(op([0x80, 2], 'cos\nsystem\n', 'X', [4, 0, 0, 0], 'echo', [0x85, 0x52, 0x2e]), 'p.pkl'),
      /p\.pkl: the pickle refers to the global os\.system/,
    );
    refuses(
      () => readTorchPickle(op([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 4], 'eval', [0x93, 0x2e]), 'p.pkl'),
      /the global builtins\.eval/,
    );
    refuses(() => readTorchPickle(op([0x80, 2], 'ctorch\nload\n', [0x2e]), 'p.pkl'), /the global torch\.load/);
    refuses(
      () => readTorchPickle(op([0x80, 2, 0x28], 'i__main__\nX\n', [0x2e]), 'p.pkl'),
      /opcode 0x69 at byte 3, which a state dict does not need/,
    );
  });

  it('refuses a compressed entry (torch writes stored ones), a non-contiguous tensor naming it, and the legacy pre-1.6 format', () => {
    refuses(
      () => readTorchCheckpoint(fixture('deflated.bin')),
      /zip entry "tensors\/data\.pkl": is compressed \(method 8\); the converter reads only stored entries/,
    );
    refuses(
      () => readTorchCheckpoint(fixture('noncontiguous.bin')),
      /tensor "transposed" is not contiguous \(size \[3, 2\], stride \[1, 3\]\)/,
    );
    refuses(
      () => readTorchCheckpoint(fixture('legacy.bin')),
      /is not a zip archive: a PyTorch checkpoint in the legacy format/,
    );
  });

  it('refuses corrupted files: cut short, a damaged pickle, a storage missing from the archive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-torch-bad-'));
    try {
      const bytes = readFileSync(fixture('tensors.bin'));
      const cut = join(dir, 'cut.bin');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 40));
      refuses(() => readTorchCheckpoint(cut), /cut\.bin: not a valid zip archive: no end-of-central-directory record/);

      const zip = ZipArchive.open(fixture('tensors.bin'));
      const pickle = zip.readEntry(zip.entries.get('tensors/data.pkl')!, 1 << 20);
      refuses(
        () => readTorchPickle(pickle.subarray(0, pickle.length - 30), 'data.pkl'),
        /data\.pkl: the pickle (ends in the middle of an instruction|closes a mark it never opened|stops with a malformed stack)/,
      );
      refuses(
        () =>
          readTorchPickle(
            Buffer.concat([pickle.subarray(0, 2), Buffer.from([0x68, 0xfe]), pickle.subarray(2)]),
            'data.pkl',
          ),
        /reads memo entry 254, which it never stored/,
      );

      // Rename storage 3 (layer.double's) in the central directory: the tensor pointing at it has no data.
      const renamed = Buffer.from(bytes);
      const directoryName = renamed.lastIndexOf(Buffer.from('tensors/data/3'));
      renamed.write('tensors/data/X', directoryName, 'latin1');
      const missing = join(dir, 'missing.bin');
      writeFileSync(missing, renamed);
      refuses(
        () => readTorchCheckpoint(missing),
        /tensor "layer\.double": its storage tensors\/data\/3 is not in the archive/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a list of 300,000 items in one APPENDS without overflowing the call stack (found by fuzzing)', () => {
    const items = 300_000;
    const pickle = new Uint8Array(items + 6);
    pickle.set([0x80, 2, 0x5d, 0x28]); // PROTO 2, EMPTY_LIST, MARK
    pickle.fill(0x4e, 4, 4 + items); // NONE × items
    pickle.set([0x65, 0x2e], 4 + items); // APPENDS, STOP
    const list = readTorchPickle(pickle, 'p.pkl');
    assert.ok(Array.isArray(list) && list.length === items);
  });

  // Bytes of a pickle program: strings as Latin-1, numbers as opcodes and operands.
  const program = (...parts: Array<string | number | number[] | Uint8Array>) =>
    Buffer.concat(
      parts.map((p) =>
        typeof p === 'string' ? Buffer.from(p, 'latin1') : typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p),
      ),
    );
  const short = (text: string) => program(0x8c, text.length, text); // SHORT_BINUNICODE
  const storageAt = (location: Buffer) =>
    // MARK 'storage' torch.FloatStorage '0' <location> 1 TUPLE BINPERSID
    program(0x28, short('storage'), 'ctorch\nFloatStorage\n', short('0'), location, [0x4b, 1], 0x74, 0x51);

  it('refuses a tensor size of more than 64 dimensions before reading it, so a size shared by many tensors costs nothing (bounded work per byte)', () => {
    // One size tuple of 20,000 ones in the memo, then 20,000 tensors of 13 bytes each naming it:
    // reading every size would be 400 million items for a 300 kB pickle.
    const dims = 20_000;
    const tensors = 20_000;
    const pickle = program(
      [0x80, 2],
      'ctorch._utils\n_rebuild_tensor_v2\n',
      [0x71, 1, 0x30], // BINPUT 1, POP
      storageAt(short('cpu')),
      [0x71, 2, 0x30],
      0x28,
      Buffer.alloc(dims * 2, Buffer.from([0x4b, 1])), // BININT1 1 × dims
      [0x74, 0x71, 3, 0x30], // TUPLE, BINPUT 3, POP
      [0x5d, 0x28], // EMPTY_LIST, MARK
      // BINGET 1, MARK, BINGET 2, BININT1 0, BINGET 3, BINGET 3, TUPLE, REDUCE
      Buffer.alloc(tensors * 13, Buffer.from([0x68, 1, 0x28, 0x68, 2, 0x4b, 0, 0x68, 3, 0x68, 3, 0x74, 0x52])),
      [0x65, 0x2e], // APPENDS, STOP
    );
    const started = performance.now();
    refuses(() => readTorchPickle(pickle, 'p.pkl'), /p\.pkl: a tensor size has 20000 dimensions, over the limit of 64/);
    assert.ok(performance.now() - started < 5000);
  });

  it('refuses a storage location that is not a string, rather than making one of it (a list referring to itself, nested, would make a string of any length)', () => {
    // A list of ten references to the list before it, six deep: a million items from 150 bytes.
    const levels: Buffer[] = [program(0x5d, 0x94)]; // EMPTY_LIST, MEMOIZE (memo 0)
    for (let level = 1; level <= 6; level++)
      levels.push(program(0x5d, 0x28, Buffer.alloc(20, Buffer.from([0x68, level - 1])), 0x65, 0x94));
    const pickle = program([0x80, 4], ...levels, storageAt(Buffer.from([0x68, 6])), 0x2e);
    refuses(() => readTorchPickle(pickle, 'p.pkl'), /storage "0"'s location is not a string/);
  });

  it('names the PyTorch file names it does not look for when a folder has no weights it reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-torch-none-'));
    try {
      copyFileSync(fixture('tensors.bin'), join(dir, 'model.pt'));
      refuses(
        () => CheckpointTensors.open(dir),
        /neither model\.safetensors nor model\.safetensors\.index\.json, nor pytorch_model\.bin nor pytorch_model\.bin\.index\.json \(it has model\.pt: rename a torch\.save zip archive to pytorch_model\.bin/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

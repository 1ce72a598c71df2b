/**
 * Fuzz targets for the converter's readers of untrusted checkpoints: the pickle interpreter
 * (`data.pkl`), the zip reader with the whole `torch.save` path (`readTorchCheckpoint`) and the
 * safetensors header reader (`CheckpointTensors.open`), each fed files from torch 1.13 (the test
 * fixtures) mutated byte-wise. A clean result describes tensors that lie inside the file.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { FuzzFinding, mutatedBytes, type FuzzTarget } from '@unmask/core/fuzz';
import { CheckpointTensors, SINGLE_FILE, type CheckpointTensor } from './checkpoint-tensors.js';
import { readTorchCheckpoint } from './torch-checkpoint.js';
import { readTorchPickle } from './torch-pickle.js';
import { ZipArchive } from './zip-entries.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../test-fixtures/torch-checkpoint/${name}`, import.meta.url));
export const TORCH_FILES = [
  'tensors.bin',
  'zip64.bin',
  'noncontiguous.bin',
  'sharded/pytorch_model-00001-of-00002.bin',
];

export const TORCH_SEEDS: readonly Uint8Array[] = TORCH_FILES.map((f) => new Uint8Array(readFileSync(fixture(f))));
export const PICKLE_SEEDS: readonly Uint8Array[] = TORCH_FILES.map((f) => {
  const zip = ZipArchive.open(fixture(f));
  const entry = [...zip.entries.values()].find((e) => e.name.endsWith('/data.pkl'));
  if (!entry) throw new Error(`${f} has no data.pkl`);
  return new Uint8Array(zip.readEntry(entry, 1 << 20));
});
export const SAFETENSORS_SEEDS: readonly Uint8Array[] = [new Uint8Array(readFileSync(fixture('tensors.safetensors')))];

const scratch = mkdtempSync(join(tmpdir(), 'unmask-fuzz-convert-'));

function checkInside(tensors: readonly CheckpointTensor[], bytes: Uint8Array): void {
  for (const t of tensors) {
    const size = statSync(t.file).size;
    if (!(t.offset >= 0 && t.byteLength >= 0 && t.offset + t.byteLength <= size && size === bytes.length))
      throw new FuzzFinding(
        `tensor "${t.name}": ${t.byteLength} bytes at ${t.offset} is outside the ${size}-byte file`,
      );
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count)) throw new FuzzFinding(`tensor "${t.name}" has ${count} elements`);
  }
}

/** The most bytes a generated container holds: nesting cannot multiply its size past this. */
const CONTAINER_BYTES = 1 << 20;

/** `parts` joined, cut at `limit` bytes. */
function joined(parts: readonly Uint8Array[], limit: number): Uint8Array {
  const out = new Uint8Array(
    Math.min(
      limit,
      parts.reduce((n, p) => n + p.length, 0),
    ),
  );
  let at = 0;
  for (const part of parts) {
    if (at >= out.length) break;
    out.set(part.subarray(0, out.length - at), at);
    at += part.length;
  }
  return out;
}

/**
 * Bytes of one pickled value built from the accepted opcodes; a container repeats its items up
 * to 200,000 times within CONTAINER_BYTES. Generation copies bytes (typed arrays, doubling), so
 * that making an input costs far less than the reader's work on it.
 */
const pickleValue = fc.letrec<{ value: Uint8Array }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .constantFrom(
        [0x4e],
        [0x88],
        [0x4b, 7],
        [0x4a, 1, 0, 0, 0x80],
        [0x8c, 3, 0x61, 0x62, 0x63],
        [0x8a, 9, ...Array(9).fill(0xff)],
      )
      .map((bytes) => Uint8Array.from(bytes)),
    fc
      .constantFrom(
        [0x63, ...Buffer.from('collections\nOrderedDict\n'), 0x29, 0x52],
        [0x63, ...Buffer.from('torch\nFloatStorage\n')],
        [0x63, ...Buffer.from('os\nsystem\n')],
        [0x68, 0],
        [0x32],
      )
      .map((bytes) => Uint8Array.from(bytes)),
    fc
      .tuple(
        fc.constantFrom('list', 'tuple', 'dict', 'ordered'),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.constantFrom(70_000, 200_000)),
        fc.boolean(),
      )
      .map(([kind, items, times, memoize]) => {
        const once = joined(items, CONTAINER_BYTES);
        const repeats = Math.min(times, Math.max(1, Math.floor(CONTAINER_BYTES / Math.max(1, once.length))));
        const open = { list: [0x5d, 0x28], tuple: [0x28], dict: [0x7d, 0x28], ordered: [0x7d, 0x28] }[kind];
        const close = { list: 0x65, tuple: 0x74, dict: 0x75, ordered: 0x75 }[kind];
        const body = once.length * repeats;
        const out = new Uint8Array(open.length + body + 1 + (memoize ? 1 : 0));
        out.set(open);
        out.set(once, open.length);
        // The repetitions by doubling: log2(repeats) copies.
        for (let filled = once.length; filled < body; filled *= 2)
          out.copyWithin(open.length + filled, open.length, open.length + Math.min(filled, body - filled));
        out[open.length + body] = close;
        if (memoize) out[open.length + body + 1] = 0x94;
        return out;
      }),
  ),
})).value;
const pickleProgram = pickleValue.map((body) => {
  const out = new Uint8Array(body.length + 3);
  out.set([0x80, 2]);
  out.set(body, 2);
  out[body.length + 2] = 0x2e;
  return out;
});

export const torchPickleTarget: FuzzTarget<Uint8Array> = {
  name: 'convert.readTorchPickle',
  arbitrary: fc.oneof(mutatedBytes(PICKLE_SEEDS), pickleProgram),
  run(bytes) {
    readTorchPickle(bytes, 'data.pkl');
  },
};

export const torchCheckpointTarget: FuzzTarget<Uint8Array> = {
  name: 'convert.readTorchCheckpoint',
  arbitrary: mutatedBytes(TORCH_SEEDS),
  run(bytes) {
    const file = join(scratch, 'pytorch_model.bin');
    writeFileSync(file, bytes);
    checkInside(readTorchCheckpoint(file), bytes);
  },
};

export const safetensorsHeaderTarget: FuzzTarget<Uint8Array> = {
  name: 'convert.safetensorsHeader',
  arbitrary: mutatedBytes(SAFETENSORS_SEEDS),
  run(bytes) {
    writeFileSync(join(scratch, SINGLE_FILE), bytes);
    const checkpoint = CheckpointTensors.open(scratch);
    checkInside([...checkpoint.tensors.values()], bytes);
  },
};

export const fuzzTargets = [torchPickleTarget, torchCheckpointTarget, safetensorsHeaderTarget];

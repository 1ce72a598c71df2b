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
export const TORCH_FILES = ['tensors.bin', 'zip64.bin', 'noncontiguous.bin', 'sharded/pytorch_model-00001-of-00002.bin'];

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

/** Bytes of one pickled value built from the accepted opcodes; containers may hold 200,000 items. */
const pickleValue = fc.letrec<{ value: readonly number[] }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      [0x4e],
      [0x88],
      [0x4b, 7],
      [0x4a, 1, 0, 0, 0x80],
      [0x8c, 3, 0x61, 0x62, 0x63],
      [0x8a, 9, ...Array(9).fill(0xff)],
    ),
    fc.constantFrom(
      [0x63, ...Buffer.from('collections\nOrderedDict\n'), 0x29, 0x52],
      [0x63, ...Buffer.from('torch\nFloatStorage\n')],
      [0x63, ...Buffer.from('os\nsystem\n')],
      [0x68, 0],
      [0x32],
    ),
    fc
      .tuple(
        fc.constantFrom('list', 'tuple', 'dict', 'ordered'),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.constantFrom(70_000, 200_000)),
        fc.boolean(),
      )
      .map(([kind, items, times, memoize]) => {
        // Nesting multiplies: every container is cut to 1M bytes, so no input exceeds a few MB.
        const flat = items.flat();
        const once = flat.length > 1_000_000 ? flat.slice(0, 1_000_000) : flat;
        // Repetition is capped at 1 MB of pickle, so nesting cannot multiply it past that.
        const repeats = Math.min(times, Math.max(1, Math.floor(1_000_000 / Math.max(1, once.length))));
        const body: number[] = [];
        for (let k = 0; k < repeats; k++) for (const b of once) body.push(b);
        const open = { list: [0x5d, 0x28], tuple: [0x28], dict: [0x7d, 0x28], ordered: [0x7d, 0x28] }[kind];
        const close = { list: [0x65], tuple: [0x74], dict: [0x75], ordered: [0x75] }[kind];
        return [...open, ...body, ...close, ...(memoize ? [0x94] : [])];
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

/**
 * The tensors of a PyTorch checkpoint file (`pytorch_model.bin`, written by `torch.save` since
 * PyTorch 1.6): a zip archive holding `<archive>/data.pkl`, a pickled state dict whose tensors
 * name their storages by key, and each storage's raw little-endian bytes as the stored entry
 * `<archive>/data/<key>`. Only the central directory, the pickle and each storage's local
 * header are read here; a tensor's data stays in the file at the offset given, for the
 * streaming reader to read in chunks like a safetensors tensor.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { DTYPE_BYTES, UnmaskError } from '@unmask/core';
import type { CheckpointTensor } from './checkpoint-tensor.js';
import { PickleDict, readTorchPickle, type StorageRef, type TensorRef } from './torch-pickle.js';
import { type ZipEntry, ZipArchive } from './zip-entries.js';

/** The largest `data.pkl` read (a state dict's pickle holds names and shapes only). */
const PICKLE_LIMIT = 256 * 1024 * 1024;

/** Row-major strides of `shape`; dimensions of size 1 may have any stride, as in torch's `is_contiguous`. */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  if (shape.length !== stride.length) return false;
  if (shape.includes(0)) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof PickleDict) return 'a dict';
  if (typeof value === 'object') return `a ${(value as { kind?: string }).kind ?? 'object'}`;
  return `a ${typeof value}`;
}

/** Reads the tensor index of one `torch.save` zip file. */
export function readTorchCheckpoint(file: string): CheckpointTensor[] {
  const fail = (why: string, param: string = file) => new UnmaskError('invalid_bundle', `${file}: ${why}`, param);
  const magic = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic[0] !== 0x50 || magic[1] !== 0x4b) {
    throw fail(
      'is not a zip archive: a PyTorch checkpoint in the legacy format (torch.save before PyTorch 1.6, or _use_new_zipfile_serialization=False), which is not read; load it and save it again with a newer torch, or as safetensors',
    );
  }
  const zip = ZipArchive.open(file);
  const pickles = [...zip.entries.values()].filter(
    (e) => e.name.endsWith('/data.pkl') && e.name.split('/').length === 2,
  );
  if (pickles.length !== 1)
    throw fail(
      pickles.length === 0
        ? 'the archive has no <name>/data.pkl: not a torch.save checkpoint'
        : `the archive has ${pickles.length} data.pkl entries`,
    );
  const pickleEntry = pickles[0]!;
  const prefix = pickleEntry.name.slice(0, -'data.pkl'.length);
  const byteorder = zip.entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = zip.readEntry(byteorder, 64).toString('utf8').trim();
    if (order !== 'little') throw fail(`its byteorder is "${order}"; only little-endian checkpoints are read`);
  }
  const root = readTorchPickle(zip.readEntry(pickleEntry, PICKLE_LIMIT), `${file} (${pickleEntry.name})`);
  if (!(root instanceof PickleDict))
    throw fail(`data.pkl holds ${describe(root)}, not a state dict (a dict of tensors)`);
  const storages = new Map<string, { entry: ZipEntry; start: number }>();
  const storage = (ref: StorageRef, name: string) => {
    const known = storages.get(ref.key);
    if (known) return known;
    const entry = zip.entries.get(`${prefix}data/${ref.key}`);
    if (!entry) throw fail(`tensor "${name}": its storage ${prefix}data/${ref.key} is not in the archive`, name);
    const needed = ref.numel * DTYPE_BYTES[ref.dtype];
    if (entry.size < needed)
      throw fail(
        `tensor "${name}": storage ${entry.name} has ${entry.size} bytes, its ${ref.numel} ${ref.dtype} elements need ${needed}`,
        name,
      );
    const found = { entry, start: zip.dataOffset(entry) };
    storages.set(ref.key, found);
    return found;
  };
  const tensors: CheckpointTensor[] = [];
  for (const [name, value] of root.items) {
    if (typeof name !== 'string') throw fail(`the state dict has a key that is not a string (${String(name)})`);
    const tensor = value as TensorRef;
    if (typeof value !== 'object' || value === null || tensor.kind !== 'tensor')
      throw fail(`"${name}" is ${describe(value)}, not a tensor`, name);
    const { storage: ref, storageOffset, shape, stride } = tensor;
    if (shape.some((d) => d < 0) || storageOffset < 0)
      throw fail(`tensor "${name}" has a negative size or offset`, name);
    if (!isContiguous(shape, stride)) {
      throw fail(
        `tensor "${name}" is not contiguous (size [${shape.join(', ')}], stride [${stride.join(', ')}]); the converter reads only contiguous tensors: save tensor.contiguous() instead`,
        name,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (storageOffset + count > ref.numel)
      throw fail(
        `tensor "${name}" (${count} elements at offset ${storageOffset}) runs past its storage of ${ref.numel}`,
        name,
      );
    const { start } = storage(ref, name);
    const bytes = DTYPE_BYTES[ref.dtype];
    tensors.push({
      name,
      dtype: ref.dtype,
      shape,
      file,
      offset: start + storageOffset * bytes,
      byteLength: count * bytes,
    });
  }
  return tensors;
}

#!/usr/bin/env node
// Copies what libs/vision's parity tests need from ../shared/fixtures/hf (see its README) into
// this folder, keeping it small: the input PNGs, the preprocessor configs, and only the
// `pixel_values` / `image_grid_thw` reference tensors (bit-for-bit, in a gzip'd safetensors file).
// Run from the repository root: node libs/vision/test-fixtures/build-fixtures.mjs [HF_FIXTURES_DIR]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? join(here, '../../../../shared/fixtures/hf');

function readSafetensors(path) {
  const buffer = readFileSync(path);
  const length = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + length).toString('utf8'));
  const tensors = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    tensors[name] = { dtype: entry.dtype, shape: entry.shape, bytes: buffer.subarray(8 + length + begin, 8 + length + end) };
  }
  return tensors;
}

function writeSafetensors(tensors, metadata) {
  const header = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json), ...Object.values(tensors).map((t) => t.bytes)]);
}

function pick(tensors, names) {
  return Object.fromEntries(names.map((n) => [n, tensors[n]]));
}

const note = { source: 'shared/fixtures/hf (transformers 5.17.0, torch 2.11.0), tensors copied unchanged' };

mkdirSync(join(here, 'hf/siglip'), { recursive: true });
copyFileSync(join(source, 'siglip/input.png'), join(here, 'hf/siglip/input.png'));
copyFileSync(join(source, 'siglip/processor/preprocessor_config.json'), join(here, 'hf/siglip/preprocessor_config.json'));
const siglip = readSafetensors(join(source, 'siglip/reference.safetensors'));
writeFileSync(join(here, 'hf/siglip/reference.safetensors.gz'), gzipSync(writeSafetensors(pick(siglip, ['pixel_values']), note), { level: 9 }));

mkdirSync(join(here, 'hf/qwen2vl'), { recursive: true });
for (const k of [0, 1, 2]) copyFileSync(join(source, `qwen25vl_vision/input${k}.png`), join(here, `hf/qwen2vl/input${k}.png`));
copyFileSync(join(source, 'qwen25vl_vision/processor/preprocessor_config.json'), join(here, 'hf/qwen2vl/preprocessor_config.json'));
const qwen = readSafetensors(join(source, 'qwen25vl_vision/reference.safetensors'));
const names = [0, 1, 2].flatMap((k) => [`pixel_values.${k}`, `image_grid_thw.${k}`]);
writeFileSync(join(here, 'hf/qwen2vl/reference.safetensors.gz'), gzipSync(writeSafetensors(pick(qwen, names), note), { level: 9 }));
console.log('done');

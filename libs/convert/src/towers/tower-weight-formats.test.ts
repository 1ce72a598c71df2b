import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { OnnxWorkerPool, type TensorData } from '@unmask/core';
import {
  floats,
  pickRows,
  readReference,
  relativeError,
  runGraph,
  TOWER_FIXTURES,
} from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { buildDiffaAdapterGraph } from './diffa-adapter-graph.js';
import { diffaAdapterLayout } from './diffa-adapter-layout.js';
import type { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';
import { buildQwen2VlVisionGraph, parseQwen2VlVisionConfig } from './qwen2-vl-vision-graph.js';
import { buildSiglipGraph, parseSiglipVisionConfig } from './siglip-graph.js';
import type { WeightFormat } from '../weights/weight-format.js';
import { buildWhisperEncoderGraph, parseWhisperEncoderConfig } from './whisper-encoder-graph.js';

const json = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const DIFFA = fileURLToPath(new URL('../../test-fixtures/diffa-adapter/', import.meta.url));

interface Case {
  readonly build: (weights: WeightFormat) => OnnxGraphBuilder;
  readonly feeds: () => Record<string, TensorData>;
  /** The graph output, rows picked as the reference stores them. */
  readonly actual: (out: Record<string, TensorData>) => Float32Array;
  readonly expected: () => Float32Array;
}

const whisper = join(TOWER_FIXTURES, 'whisper');
const whisperRef = readReference(join(whisper, 'reference.safetensors.gz'));
const siglip = join(TOWER_FIXTURES, 'siglip');
const siglipRef = readReference(join(siglip, 'reference.safetensors'));
const qwen = join(TOWER_FIXTURES, 'qwen25vl-vision');
const qwenRef = readReference(join(qwen, 'reference.safetensors.gz'));
const diffaRef = readReference(join(DIFFA, 'reference.safetensors'));

const CASES: Record<string, Case> = {
  'Whisper encoder': {
    build: (weights) =>
      buildWhisperEncoderGraph(
        parseWhisperEncoderConfig(json(join(whisper, 'checkpoint/config.json'))),
        CheckpointTensors.open(join(whisper, 'checkpoint')),
        { weights },
      ),
    feeds: () => ({
      input_features: { type: 'float32', dims: [1, 80, 3000], data: floats(whisperRef, 'input_features') },
    }),
    actual: (out) =>
      pickRows(out.last_hidden_state!.data as Float32Array, 64, whisperRef.get('rows')!.data as BigInt64Array),
    expected: () => floats(whisperRef, 'last_hidden_state'),
  },
  SigLIP: {
    build: (weights) =>
      buildSiglipGraph(
        parseSiglipVisionConfig(json(join(siglip, 'checkpoint/config.json'))),
        CheckpointTensors.open(join(siglip, 'checkpoint')),
        { weights },
      ),
    feeds: () => ({ pixel_values: { type: 'float32', dims: [1, 3, 64, 64], data: floats(siglipRef, 'pixel_values') } }),
    actual: (out) => out.last_hidden_state!.data as Float32Array,
    expected: () => floats(siglipRef, 'last_hidden_state'),
  },
  'Qwen2.5-VL vision': {
    build: (weights) =>
      buildQwen2VlVisionGraph(
        parseQwen2VlVisionConfig(json(join(qwen, 'checkpoint/config.json'))),
        CheckpointTensors.open(join(qwen, 'checkpoint')),
        { weights },
      ),
    feeds: () => ({
      pixel_values: { type: 'float32', dims: [140, 1176], data: floats(qwenRef, 'pixel_values.0') },
      image_grid_thw: { type: 'int64', dims: [1, 3], data: qwenRef.get('image_grid_thw.0')!.data as BigInt64Array },
    }),
    actual: (out) => out.image_features!.data as Float32Array,
    expected: () => floats(qwenRef, 'vision_output.0'),
  },
  'DIFFA adapter': {
    build: (weights) =>
      buildDiffaAdapterGraph(
        { ...diffaAdapterLayout(json(join(DIFFA, 'checkpoint/config.json'))), qformerIntermediate: 32 },
        CheckpointTensors.open(join(DIFFA, 'checkpoint')),
        weights,
      ),
    feeds: () => {
      const out: Record<string, TensorData> = {
        feature_frames: { type: 'int64', dims: [1], data: BigInt64Array.from([73n]) },
      };
      for (const name of [
        'last_hidden_state',
        'hidden_states.0',
        'hidden_states.1',
        'hidden_states.2',
        'hidden_states.3',
      ])
        out[name] = { type: 'float32', dims: [1, 50, 16], data: floats(diffaRef, name) };
      return out;
    },
    actual: (out) => out.audio_embeds!.data as Float32Array,
    expected: () => floats(diffaRef, 'audio_embeds'),
  },
};

/** Bounds on the relative error per format: loose, for tiny random towers (see docs/convert.md for the figures). */
const BOUNDS: Record<Exclude<WeightFormat, 'fp32'>, number> = { fp16: 5e-3, int8: 5e-2, int4: 0.5 };

describe('tower graphs with fp16 / int8 / int4 projection weights, against the fp32 references', () => {
  let pool: OnnxWorkerPool;
  let dir: string;
  before(() => {
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    dir = mkdtempSync(join(tmpdir(), 'unmask-tower-formats-'));
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [tower, c] of Object.entries(CASES)) {
    it(`${tower}: each format stays within its bound of the reference, in a smaller graph than fp32`, async (t) => {
      const sizes: Record<string, number> = {};
      for (const format of ['fp32', 'fp16', 'int8', 'int4'] as const) {
        const path = join(dir, `${tower.replaceAll(/\W/g, '-')}-${format}.onnx`);
        c.build(format).write(path);
        sizes[format] = statSync(path).size;
        const { relative } = relativeError(c.actual(await runGraph(pool, path, c.feeds())), c.expected());
        t.diagnostic(
          `${tower} ${format}: relative error ${relative.toExponential(2)}, graph ${(sizes[format]! / 1024).toFixed(0)} KiB`,
        );
        assert.ok(relative < (format === 'fp32' ? 1e-3 : BOUNDS[format]), `${format}: relative error ${relative}`);
      }
      // (Tiny rows pad int8 blocks of 32, so int8 need not beat fp16 here.)
      assert.ok(
        sizes.fp16! < sizes.fp32! && sizes.int8! < sizes.fp32! && sizes.int4! < sizes.int8!,
        `sizes ${JSON.stringify(sizes)}`,
      );
    });
  }
});

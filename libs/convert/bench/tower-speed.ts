/**
 * Conversion and inference time of a perception tower at its real size, on a synthetic
 * checkpoint of random bf16 weights (no real checkpoint is available offline):
 *
 *   node --import tsx libs/convert/bench/tower-speed.ts --tower whisper-small|siglip-so400m|qwen25vl-dimple|llada-v-projector [--weights fp32|fp16|int8|int4] [--threads 1] [--runs 2]
 *
 * Prints the checkpoint and graph sizes, the conversion time, the session load time, the time
 * of each forward pass on a random input of the tower's usual size, and the process's peak RSS.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxWorkerPool, type TensorData } from '@unmask/core';
import { CheckpointTensors } from '../src/checkpoint/checkpoint-tensors.js';
import type { OnnxGraphBuilder } from '../src/onnx/onnx-graph-builder.js';
import { WEIGHT_FORMATS, type WeightFormat } from '../src/weights/weight-format.js';
import { buildMlpProjectorGraph, lladaVProjector } from '../src/towers/projector-graph.js';
import {
  buildQwen2VlVisionGraph,
  parseQwen2VlVisionConfig,
  QWEN25_VL_7B_VISION,
  qwen2VlVisionShapes,
} from '../src/towers/qwen2-vl-vision-graph.js';
import {
  buildSiglipGraph,
  LLADA_V_SIGLIP,
  parseSiglipVisionConfig,
  SIGLIP_SO400M_PATCH14_384,
  siglipShapes,
} from '../src/towers/siglip-graph.js';
import {
  buildWhisperEncoderGraph,
  parseWhisperEncoderConfig,
  WHISPER_SMALL_ENCODER,
  whisperEncoderShapes,
} from '../src/towers/whisper-encoder-graph.js';

interface Tower {
  readonly shapes: Map<string, readonly number[]>;
  readonly build: (checkpoint: CheckpointTensors) => OnnxGraphBuilder;
  readonly input: () => Record<string, TensorData>;
  readonly what: string;
}

const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

function tower(name: string, weights: WeightFormat): Tower {
  if (name === 'whisper-small') {
    const config = parseWhisperEncoderConfig(WHISPER_SMALL_ENCODER);
    return {
      shapes: whisperEncoderShapes(config),
      build: (c) => buildWhisperEncoderGraph(config, c, { hiddenStates: [2, 5, 8, 11], weights }),
      input: () => ({ input_features: { type: 'float32', dims: [1, 80, 3000], data: random(80 * 3000) } }),
      what: 'Whisper-small encoder, 30 s of features (3000 frames → 1500 positions), hidden states 2, 5, 8, 11 out',
    };
  }
  if (name === 'siglip-so400m') {
    const config = parseSiglipVisionConfig(SIGLIP_SO400M_PATCH14_384);
    return {
      shapes: siglipShapes(config, LLADA_V_SIGLIP),
      build: (c) => buildSiglipGraph(config, c, { ...LLADA_V_SIGLIP, weights }),
      input: () => ({ pixel_values: { type: 'float32', dims: [1, 3, 384, 384], data: random(3 * 384 * 384) } }),
      what: 'SigLIP so400m-patch14-384 as LLaDA-V uses it (26 of 27 layers), one 384 × 384 image (729 tokens)',
    };
  }
  if (name === 'qwen25vl-dimple') {
    const config = parseQwen2VlVisionConfig(QWEN25_VL_7B_VISION);
    return {
      shapes: qwen2VlVisionShapes(config),
      build: (c) => buildQwen2VlVisionGraph(config, c, { weights }),
      input: () => ({
        pixel_values: { type: 'float32', dims: [1024, 1176], data: random(1024 * 1176) },
        image_grid_thw: { type: 'int64', dims: [1, 3], data: BigInt64Array.from([1n, 32n, 32n]) },
      }),
      what: 'Qwen2.5-VL-7B vision tower (Dimple-7B), one 448 × 448 image (32 × 32 patches → 256 tokens)',
    };
  }
  if (name === 'llada-v-projector') {
    const layout = lladaVProjector(1152, 4096);
    return {
      shapes: new Map([
        [`${layout.first}.weight`, [4096, 1152]],
        [`${layout.first}.bias`, [4096]],
        [`${layout.second}.weight`, [4096, 4096]],
        [`${layout.second}.bias`, [4096]],
      ]),
      build: (c) => buildMlpProjectorGraph(layout, c, weights),
      input: () => ({ image_features: { type: 'float32', dims: [729, 1152], data: random(729 * 1152) } }),
      what: "LLaDA-V's mlp2x_gelu projector (1152 → 4096 → 4096), one view's 729 rows",
    };
  }
  throw new Error(`unknown tower ${name}: whisper-small, siglip-so400m, qwen25vl-dimple or llada-v-projector`);
}

/** A single-file safetensors checkpoint of small random bf16 values. */
function writeCheckpoint(dir: string, shapes: Map<string, readonly number[]>): number {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'BF16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  writeSync(fd, length);
  writeSync(fd, json);
  for (const shape of shapes.values()) {
    const words = new Uint16Array(shape.reduce((a, b) => a * b, 1));
    randomFillSync(words);
    // Sign and mantissa random, exponent fixed: |x| in [2^-7, 2^-6); norms' scales stay small too.
    for (let i = 0; i < words.length; i++) words[i] = (words[i]! & 0x807f) | 0x3c00;
    writeSync(fd, words);
  }
  closeSync(fd);
  return 8 + json.length + offset;
}

const { values } = parseArgs({
  options: {
    tower: { type: 'string', default: 'whisper-small' },
    weights: { type: 'string', default: 'fp32' },
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '2' },
  },
});
const format = values.weights as WeightFormat;
if (!WEIGHT_FORMATS.includes(format))
  throw new Error(`--weights ${values.weights}: one of ${WEIGHT_FORMATS.join(', ')}`);
const t = tower(values.tower!, format);
const dir = mkdtempSync(join(tmpdir(), 'unmask-tower-bench-'));
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
try {
  const params = [...t.shapes.values()].reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
  console.log(`${t.what}: ${(params / 1e6).toFixed(1)} M parameters, ${format} projections`);
  const checkpointBytes = writeCheckpoint(dir, t.shapes);
  let start = Date.now();
  const path = join(dir, 'tower.onnx');
  const written = t.build(CheckpointTensors.open(dir)).write(path);
  const graphBytes = statSync(path).size + (written.externalData ? statSync(join(dir, written.externalData)).size : 0);
  console.log(
    `checkpoint (bf16) ${gib(checkpointBytes)}; graph (${format}) ${gib(graphBytes)}${written.externalData ? ' with external data' : ''}; conversion ${((Date.now() - start) / 1000).toFixed(1)} s`,
  );
  const pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: Number(values.threads) } });
  start = Date.now();
  const session = await pool.createSession(path);
  console.log(`session load ${((Date.now() - start) / 1000).toFixed(1)} s`);
  for (let run = 0; run < Number(values.runs); run++) {
    start = Date.now();
    const out = await session.run(t.input());
    const first = Object.values(out)[0]!;
    console.log(
      `forward ${run + 1} (${values.threads} intra-op thread${values.threads === '1' ? '' : 's'}): ${((Date.now() - start) / 1000).toFixed(2)} s, output [${first.dims.join(', ')}]`,
    );
  }
  await session.release();
  await pool.close();
  console.log(
    `peak RSS of this process (conversion; the session runs in a worker thread of it): ${gib(process.resourceUsage().maxRSS * 1024)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Which onnxruntime CPU operators to use for each weight format: one projection y = x · Wᵀ
 * (W [N, K] in the checkpoint's layout, random weights) written in each candidate form, run on
 * onnxruntime-node in a child process of its own (so that its resident memory is its own).
 *
 *   node --import tsx libs/convert/bench/weight-ops.ts [--n 5632] [--k 2048] [--m 16,128] [--reps 7] [--outliers 30]
 *
 * Prints per variant: file size, session creation time, resident memory after creation, median
 * run time per M, and max |y − y_exact| / max |y_exact| (--outliers F: every 128th input channel
 * scaled by F, as the few large-magnitude channels of LLM activations).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { toFloat16 } from '../src/weights/fp16.js';
import { nbitsLayout, type NBits, quantizeRowNBits } from '../src/weights/matmul-nbits.js';
import { memorySource, OnnxGraphBuilder } from '../src/onnx/onnx-graph-builder.js';
import { int8RowScale, quantizeRowInt8 } from '../src/weights/quantize-int8.js';

const VARIANTS = [
  'fp32',
  'fp16-cast',
  'fp16-compute',
  'int8-dq-gemm',
  'int8-dynamic-quantize-matmul',
  'nbits8-b32',
  'nbits8-b128',
  'nbits8-b32-acc4',
  'nbits4-b32',
  'nbits4-b32-acc4',
] as const;
type Variant = (typeof VARIANTS)[number];

function randomWeights(n: number, k: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const w = new Float32Array(n * k);
  for (let i = 0; i < w.length; i++) w[i] = (next() + next() + next() - 1.5) * 0.05;
  return w;
}

function build(variant: Variant, w: Float32Array, n: number, k: number): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder(variant);
  const x = g.input('x', 'FLOAT', ['m', k]);
  let y: string;
  const rows = (f: (row: Float32Array, r: number) => void) => {
    for (let r = 0; r < n; r++) f(w.subarray(r * k, (r + 1) * k), r);
  };
  if (variant === 'fp32') {
    y = g.op('Gemm', [x, g.initializer('w', memorySource('FLOAT', [n, k], w))], { transB: 1 });
  } else if (variant === 'fp16-cast' || variant === 'fp16-compute') {
    const half = toFloat16(w);
    const w16 = g.initializer('w', {
      ...memorySource('UINT8', [n * k * 2], new Uint8Array(half.buffer)),
      dataType: 'FLOAT16',
      dims: [n, k],
    });
    if (variant === 'fp16-cast') y = g.op('Gemm', [x, g.op('Cast', [w16], { to: 1 })], { transB: 1 });
    else y = g.op('Cast', [g.op('Gemm', [g.op('Cast', [x], { to: 10 }), w16], { transB: 1 })], { to: 1 });
  } else if (variant === 'int8-dq-gemm' || variant === 'int8-dynamic-quantize-matmul') {
    const q = new Int8Array(n * k);
    const scales = new Float32Array(n);
    rows((row, r) => {
      scales[r] = int8RowScale(row);
      quantizeRowInt8(row, scales[r]!, q.subarray(r * k, (r + 1) * k));
    });
    if (variant === 'int8-dq-gemm') {
      const qw = g.initializer('w', {
        ...memorySource('UINT8', [n * k], new Uint8Array(q.buffer)),
        dataType: 'INT8',
        dims: [n, k],
      });
      const dq = g.op('DequantizeLinear', [qw, g.floats('scales', scales)], { axis: 0 });
      y = g.op('Gemm', [x, dq], { transB: 1 });
    } else {
      const t = new Int8Array(n * k);
      for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) t[c * n + r] = q[r * k + c]!;
      const qt = g.initializer('w', {
        ...memorySource('UINT8', [n * k], new Uint8Array(t.buffer)),
        dataType: 'INT8',
        dims: [k, n],
      });
      y = g.domainOp('com.microsoft', 1, 'DynamicQuantizeMatMul', [x, qt, g.floats('scales', scales)]);
    }
  } else {
    const bits = (variant.startsWith('nbits4') ? 4 : 8) as NBits;
    const blockSize = variant.includes('b128') ? 128 : 32;
    const layout = nbitsLayout(n, k, bits, blockSize);
    const rowBytes = layout.blocks * layout.blobSize;
    const codes = new Uint8Array(n * rowBytes);
    const scales = new Float32Array(n * layout.blocks);
    rows((row, r) =>
      quantizeRowNBits(
        row,
        layout,
        codes.subarray(r * rowBytes, (r + 1) * rowBytes),
        scales.subarray(r * layout.blocks, (r + 1) * layout.blocks),
      ),
    );
    const b = g.initializer('w', memorySource('UINT8', [n, layout.blocks, layout.blobSize], codes));
    const s = g.floats('scales', scales, [n, layout.blocks]);
    y = g.domainOp('com.microsoft', 1, 'MatMulNBits', [x, b, s], {
      K: k,
      N: n,
      bits,
      block_size: blockSize,
      ...(variant.endsWith('acc4') ? { accuracy_level: 4 } : {}),
    });
  }
  g.output(g.op('Identity', [y], {}, 'y'), 'FLOAT', ['m', n]);
  return g;
}

async function child(
  variant: Variant,
  n: number,
  k: number,
  ms: number[],
  reps: number,
  dir: string,
  outliers: number,
): Promise<void> {
  const w = randomWeights(n, k, 7);
  const path = join(dir, `${variant}.onnx`);
  build(variant, w, n, k).write(path);
  const size = statSync(path).size;
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const createMs = performance.now() - t0;
  const rss = process.memoryUsage().rss - rssBefore;
  const runs: string[] = [];
  let worst = 0;
  for (const m of ms) {
    const x = randomWeights(m, k, 11 + m).map((v) => v * 40);
    // LLM activations carry a few large-magnitude channels; --outliers scales every 128th channel by it.
    if (outliers !== 1) for (let r = 0; r < m; r++) for (let c = 0; c < k; c += 128) x[r * k + c]! *= outliers;
    const feeds = { x: new ort.Tensor('float32', x, [m, k]) };
    const times: number[] = [];
    let y: Float32Array | undefined;
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      y = (await session.run(feeds)).y!.data as Float32Array;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    runs.push(`M=${m} ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms`);
    let diff = 0;
    let scale = 0;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let ref = 0;
        for (let j = 0; j < k; j++) ref += x[r * k + j]! * w[c * k + j]!;
        diff = Math.max(diff, Math.abs(y![r * n + c]! - ref));
        scale = Math.max(scale, Math.abs(ref));
      }
      if (r >= 3) break;
    }
    worst = Math.max(worst, diff / scale);
  }
  await session.release();
  console.log(
    `${variant.padEnd(30)} file ${(size / 1024 ** 2).toFixed(1).padStart(6)} MiB  create ${createMs.toFixed(0).padStart(5)} ms  rss +${(rss / 1024 ** 2).toFixed(0).padStart(4)} MiB  ${runs.join('  ')}  rel err ${worst.toExponential(2)}`,
  );
}

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '5632' },
    k: { type: 'string', default: '2048' },
    m: { type: 'string', default: '16,128' },
    reps: { type: 'string', default: '7' },
    variant: { type: 'string' },
    dir: { type: 'string' },
    outliers: { type: 'string', default: '1' },
  },
});
const n = Number(values.n);
const k = Number(values.k);
const ms = values.m.split(',').map(Number);
if (values.variant) {
  await child(values.variant as Variant, n, k, ms, Number(values.reps), values.dir!, Number(values.outliers));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-weight-ops-'));
  console.log(
    `y = x · Wᵀ, W [${n}, ${k}], one intra-op thread${values.outliers === '1' ? '' : `, every 128th input channel ×${values.outliers}`}`,
  );
  try {
    for (const variant of VARIANTS) {
      const args = [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--variant',
        variant,
        '--dir',
        dir,
        '--n',
        String(n),
        '--k',
        String(k),
        '--m',
        values.m,
        '--reps',
        values.reps,
        '--outliers',
        values.outliers,
      ];
      const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
      process.stdout.write(
        result.status === 0
          ? result.stdout
          : `${variant.padEnd(30)} failed: ${(result.stderr || result.stdout).split('\n').find((l) => /error/i.test(l)) ?? result.stderr.slice(0, 300)}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

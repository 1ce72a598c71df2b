/**
 * Resident memory and CPU time of MatMulNBits per block size (docs/convert.md, "Block size and
 * resident memory"): a chain of `--count` MatMulNBits [4096 × 4096] with random codes, external
 * data, each variant loaded in a child process of its own; /proc/self/status before and after
 * loading and after forwards, and the process's CPU seconds per forward (honest under load,
 * where wall time measures the queue). Spinning is off so that CPU time is work.
 *
 *   node --import tsx libs/convert/bench/nbits-memory.ts [--variants 8-32-4,8-128-4,4-32-4,4-128-4] [--count 12] [--rows 64,256]
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../src/onnx/onnx-graph-builder.js';

const K = 4096;
const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: '8-32-4,8-128-4,4-32-4,4-128-4' },
    count: { type: 'string', default: '12' },
    rows: { type: 'string', default: '64,256' },
    reps: { type: 'string', default: '2' },
    child: { type: 'string' },
  },
});

const mib = (key: string, text: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? Number.NaN) / 1024;
function status() {
  const text = readFileSync('/proc/self/status', 'utf8');
  return { rss: mib('VmRSS', text), anon: mib('RssAnon', text), file: mib('RssFile', text), peak: mib('VmHWM', text) };
}
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** bits-block-accuracy, e.g. 8-128-4. */
function writeChain(path: string, variant: string, count: number): void {
  const [bits, block, accuracy] = variant.split('-').map(Number) as [number, number, number];
  const blocks = Math.ceil(K / block);
  const blob = (block * bits) / 8;
  const g = new OnnxGraphBuilder('chain');
  let x = g.input('x', 'FLOAT', ['M', K]);
  for (let i = 0; i < count; i++) {
    const w = g.initializer(`w${i}`, {
      dataType: 'UINT8',
      dims: [K, blocks, blob],
      byteLength: K * blocks * blob,
      produce: (write) => {
        for (let r = 0; r < K; r++) write(randomFillSync(new Uint8Array(blocks * blob)));
      },
    });
    const scale = 1 / ((2 ** bits / 3.5) * 64); // keeps activations of order 1 along the chain
    const s = g.initializer(`w${i}.scales`, {
      dataType: 'FLOAT',
      dims: [K, blocks],
      byteLength: K * blocks * 4,
      produce: (write) => write(new Uint8Array(new Float32Array(K * blocks).fill(scale).buffer)),
    });
    x = g.domainOp('com.microsoft', 1, 'MatMulNBits', [x, w, s], {
      K,
      N: K,
      bits,
      block_size: block,
      accuracy_level: accuracy,
    });
  }
  g.op('Identity', [x], {}, 'y');
  g.output('y', 'FLOAT', ['M', K]);
  g.write(path, { externalDataThreshold: 0 });
}

async function child(path: string): Promise<void> {
  const before = status();
  let cpu = cpuSeconds();
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: 2,
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const loadCpu = cpuSeconds() - cpu;
  const loaded = status();
  const runs: { rows: number; cpu: number }[] = [];
  for (const rows of values.rows!.split(',').map(Number)) {
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: rows * K }, (_, i) => Math.sin(i)),
      [rows, K],
    );
    for (let r = 0; r < Number(values.reps); r++) {
      cpu = cpuSeconds();
      await session.run({ x });
      runs.push({ rows, cpu: cpuSeconds() - cpu });
    }
  }
  console.log(JSON.stringify({ before, loaded, after: status(), loadCpu, runs }));
}

if (values.child) {
  await child(values.child);
} else {
  const work = mkdtempSync(join(tmpdir(), 'unmask-nbits-memory-'));
  const f = (v: number, d = 2) => v.toFixed(d);
  console.log(
    '| bits-block-accuracy | file MiB | anonymous after load MiB | mapped gained MiB | RSS gained ÷ file: load / forwards | load CPU s | CPU s per forward (rows) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  try {
    for (const variant of values.variants!.split(',')) {
      const path = join(work, `${variant}.onnx`);
      writeChain(path, variant, Number(values.count));
      const file = statSync(`${path}.data`).size / 2 ** 20;
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--child',
          path,
          '--rows',
          values.rows!,
          '--reps',
          values.reps!,
        ],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`${variant}: ${run.stderr.slice(-600)}`);
      const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
      const runs = (r.runs as { rows: number; cpu: number }[]).map((x) => `${f(x.cpu)} (${x.rows})`).join(', ');
      console.log(
        `| ${variant} | ${f(file, 0)} | ${f(r.loaded.anon - r.before.anon, 0)} | ${f(r.loaded.file - r.before.file, 0)} | ${f((r.loaded.rss - r.before.rss) / file)}× / ${f((r.after.rss - r.before.rss) / file)}× | ${f(r.loadCpu)} | ${runs} |`,
      );
      rmSync(path);
      rmSync(`${path}.data`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

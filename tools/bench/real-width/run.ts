/**
 * The real-width benchmark: unmask against llama.cpp (node-llama-cpp) and PyTorch on synthetic
 * checkpoints at LLaDA-8B's and Dream-7B's real widths with a few layers, per weight format and
 * sequence length, on this machine in one run. Method and options: docs/bench/real-width.md.
 *
 *   npm run bench:real-width [-- --families llada,dream --layers 2 --positions 64,256,1024 --runs 3 ...]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, loadAverage } from '../machine.js';
import { writeCheckpoint } from '@unmask/convert/synthetic-checkpoint';
import { EngineProcess } from './engine-protocol.js';
import { measureFloor } from './floor.js';
import { writeGguf } from './gguf.js';
import { GGUF_TYPES, type GgufType } from './gguf-encoding.js';
import { ensureLlamaPeer } from './llama-install.js';
import {
  type EngineSpec,
  TORCH_FORMATS,
  type TorchFormat,
  UNMASK_FORMATS,
  type UnmaskFormat,
  bitsOf,
  estimatedResident,
  groups,
  label,
  parseUnmaskFormat,
  waves,
} from './plan.js';
import { writeReport } from './report.js';
import { type Artifact, measureWave } from './wave.js';
import type { EngineResult, FamilyResult, RealWidthResult } from './result.js';
import { FAMILIES, type Family, type FamilyShape, SHAPES, parameters, tinyShape } from './shapes.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const list = (s: string) => s.split(',').filter(Boolean);

const { values } = parseArgs({
  options: {
    families: { type: 'string', default: 'llada,dream' },
    layers: { type: 'string', default: '2' },
    positions: { type: 'string', default: '64,256,1024' },
    logits: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string' },
    unmask: { type: 'string', default: UNMASK_FORMATS.join(',') },
    llama: { type: 'string', default: 'F32,Q8_0,Q4_0' },
    torch: { type: 'string', default: TORCH_FORMATS.join(',') },
    'batch-rows': { type: 'string', default: '8' },
    'batch-positions': { type: 'string', default: '16,64' },
    'memory-gib': { type: 'string', default: '8' },
    python: { type: 'string', default: '/usr/bin/python3' },
    work: { type: 'string', default: join(ROOT, 'tmp', 'bench-real-width', 'work') },
    'peer-dir': { type: 'string', default: join(ROOT, 'tmp', 'bench-peers', 'node-llama-cpp') },
    out: { type: 'string', default: join(ROOT, 'tmp', 'bench-real-width') },
    keep: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    tiny: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`npm run bench:real-width -- [options]   (docs/bench/real-width.md)
  --families llada,dream      model widths (LLaDA-8B, Dream-7B)
  --layers N                  layers of the synthetic checkpoints (2)
  --positions 64,256,1024     sequence lengths of a forward
  --logits N                  logit rows per forward (32)
  --runs N                    timed runs per length after a warm-up (3; one fewer from 1024 up)
  --threads N                 threads of every engine (all logical CPUs)
  --unmask fp32,fp16,int8,int4 / --llama F32,Q8_0,Q4_0 / --torch fp32,bf16,int8   formats ('' for none);
                              int8@32, int4@64, ...: unmask convert --block-size 32|64|128 (default 128)
  --batch-rows N --batch-positions 16,64   unmask batching: N rows against 1 (int8 / int4 / fp32)
  --memory-gib G              engines loaded at once must fit G GiB (estimated) (8)
  --work DIR --out DIR --keep --quick
  --tiny                      tiny widths of the same layouts (a smoke run of the harness, not a measurement)`);
  process.exit(0);
}

const quick = values.quick;
const options: RealWidthResult['options'] = {
  families: list(quick ? 'llada' : values.families) as Family[],
  layers: Number(values.layers),
  positions: list(quick ? '64,256' : values.positions).map(Number),
  logits: Number(values.logits),
  runs: quick ? 1 : Number(values.runs),
  threads: Number(values.threads ?? execFileSync('nproc', { encoding: 'utf8' }).trim()),
  memoryBudgetGiB: Number(values['memory-gib']),
  batchRows: Number(values['batch-rows']),
  batchPositions: list(values['batch-positions']).map(Number),
};
for (const f of options.families) if (!FAMILIES.includes(f)) throw new Error(`--families: unknown family ${f}`);
const specs: EngineSpec[] = [
  ...(list(values.unmask) as UnmaskFormat[]).map((format) => ({ kind: 'unmask' as const, format })),
  ...(list(values.llama) as GgufType[]).map((format) => ({ kind: 'llama.cpp' as const, format })),
  ...(list(values.torch) as TorchFormat[]).map((format) => ({ kind: 'pytorch' as const, format })),
].map((s) => {
  const known =
    s.kind === 'unmask'
      ? parseUnmaskFormat(s.format) !== undefined
      : s.kind === 'llama.cpp'
        ? GGUF_TYPES.includes(s.format as GgufType)
        : TORCH_FORMATS.includes(s.format as TorchFormat);
  if (!known) throw new Error(`unknown ${s.kind} format ${s.format}`);
  return { ...s, bits: bitsOf(s.kind, s.format) };
});

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const log = (line: string) => console.error(`[${elapsed()}] ${line}`);
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const folderBytes = (path: string): number =>
  statSync(path).isDirectory()
    ? readdirSync(path).reduce((sum, f) => sum + folderBytes(join(path, f)), 0)
    : statSync(path).size;

const notes: string[] = [];
const machine = { ...describeMachine(), uptimeAtStart: uptime() };
log(`${machine.cpuModel}, ${machine.logicalCpus} CPUs; ${machine.uptimeAtStart}`);

log('floor: CPU peak and the best GEMM of onnxruntime, numpy and torch');
const floor = await measureFloor(
  options.threads,
  existsSync(values.python) ? values.python : undefined,
  values.tiny
    ? [[256, 256, 256]]
    : [
        [1024, 1024, 1024],
        [2048, 2048, 2048],
        [256, SHAPES.llada.hidden, SHAPES.llada.mlp],
      ],
  values.tiny ? 0.1 : quick ? 0.5 : 1.5,
);
log(
  `CPU peak ${(floor.cpu.fp32 / 1e9).toFixed(0)} GFLOP/s fp32; best GEMM ${(floor.bestFp32.rate / 1e9).toFixed(1)} GFLOP/s (${floor.bestFp32.library})`,
);

let peerDir: string | undefined;
if (specs.some((s) => s.kind === 'llama.cpp')) {
  try {
    peerDir = ensureLlamaPeer(values['peer-dir'], log);
  } catch (error) {
    notes.push(`llama.cpp was not measured: ${(error as Error).message}`);
    log(notes.at(-1)!);
  }
}
const torchAvailable =
  existsSync(values.python) && spawnSync(values.python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (specs.some((s) => s.kind === 'pytorch') && !torchAvailable)
  notes.push(`PyTorch was not measured: ${values.python} cannot import torch (apt-get install python3-torch)`);
const active = specs.filter(
  (s) => (s.kind !== 'llama.cpp' || peerDir !== undefined) && (s.kind !== 'pytorch' || torchAvailable),
);

/** `unmask convert` in a child process, timed by /usr/bin/time when present. */
function convert(from: string, to: string, format: UnmaskFormat): Artifact {
  rmSync(to, { recursive: true, force: true });
  const { weights, blockSize } = parseUnmaskFormat(format)!;
  const cli = [
    join(ROOT, 'apps', 'cli', 'bin', 'unmask.mjs'),
    'convert',
    '--from',
    from,
    '--to',
    to,
    '--weights',
    weights,
    ...(blockSize ? ['--block-size', String(blockSize)] : []),
  ];
  const timed = existsSync('/usr/bin/time');
  const t = Date.now();
  const result = timed
    ? spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, ...cli], { encoding: 'utf8' })
    : spawnSync(process.execPath, cli, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`unmask convert ${cli.slice(6).join(' ')} failed: ${result.stderr.slice(-600)}`);
  const match = /TIME ([\d.]+) (\d+)/.exec(result.stderr);
  return {
    path: to,
    bytes: folderBytes(to),
    build: match
      ? { seconds: Number(match[1]), peakRss: Number(match[2]) * 1024 }
      : { seconds: (Date.now() - t) / 1000 },
  };
}

async function startEngine(spec: EngineSpec, artifact: Artifact, shape: FamilyShape) {
  const env = { ...process.env, OMP_NUM_THREADS: String(options.threads) };
  const maxPositions = Math.max(...options.positions, ...options.batchPositions);
  if (spec.kind === 'unmask')
    return EngineProcess.start(
      label(spec),
      process.execPath,
      [
        '--import',
        'tsx',
        join(HERE, 'unmask-engine.ts'),
        '--bundle',
        artifact.path,
        '--threads',
        String(options.threads),
      ],
      env,
    );
  if (spec.kind === 'llama.cpp')
    return EngineProcess.start(
      label(spec),
      process.execPath,
      [
        '--import',
        'tsx',
        join(HERE, 'llama-engine.ts'),
        '--gguf',
        artifact.path,
        '--vocab',
        String(shape.vocab),
        '--threads',
        String(options.threads),
        '--context',
        String(maxPositions),
        '--peer-dir',
        peerDir!,
      ],
      env,
    );
  return EngineProcess.start(
    label(spec),
    values.python,
    [join(HERE, 'torch_engine.py'), artifact.path, spec.format, String(options.threads)],
    env,
  );
}

async function runFamily(family: Family): Promise<FamilyResult> {
  const shape = values.tiny ? tinyShape(family) : SHAPES[family];
  const layers = options.layers;
  const dir = join(values.work, family);
  const checkpointDir = join(dir, 'checkpoint');
  mkdirSync(dir, { recursive: true });
  log(`${shape.model} width, ${layers} layers: writing the bf16 checkpoint`);
  let t = Date.now();
  rmSync(checkpointDir, { recursive: true, force: true });
  const checkpoint = writeCheckpoint(checkpointDir, shape, layers);
  const checkpointSeconds = (Date.now() - t) / 1000;
  log(`  ${(checkpoint.bytes / 2 ** 30).toFixed(2)} GiB in ${checkpointSeconds.toFixed(1)} s`);
  const artifacts = new Map<string, Artifact>();
  const engines: EngineResult[] = [];
  for (const group of groups(active)) {
    // Build this bit width's files, measure, then delete them (disk and page cache).
    for (const spec of group) {
      t = Date.now();
      if (spec.kind === 'unmask') {
        log(`unmask convert ${spec.format}`);
        artifacts.set(
          label(spec),
          convert(checkpointDir, join(dir, `bundle-${spec.format}`), spec.format as UnmaskFormat),
        );
      } else if (spec.kind === 'llama.cpp') {
        log(`GGUF ${spec.format}`);
        const written = writeGguf(
          checkpointDir,
          shape,
          layers,
          spec.format as GgufType,
          join(dir, `model-${spec.format}.gguf`),
        );
        artifacts.set(label(spec), {
          path: written.path,
          bytes: written.bytes,
          build: { seconds: (Date.now() - t) / 1000 },
        });
      } else artifacts.set(label(spec), { path: checkpointDir, bytes: checkpoint.bytes });
      const a = artifacts.get(label(spec))!;
      log(
        `  ${label(spec)}: ${(a.bytes / 2 ** 30).toFixed(2)} GiB${a.build ? ` in ${a.build.seconds.toFixed(1)} s` : ''}`,
      );
    }
    const budget = options.memoryBudgetGiB * 2 ** 30;
    for (const wave of waves(group, (s) => estimatedResident(s, shape, layers), budget))
      engines.push(
        ...(await measureWave(wave, {
          options,
          artifacts,
          shape,
          layers,
          start: (spec) => startEngine(spec, artifacts.get(label(spec))!, shape),
          log,
        })),
      );
    if (!values.keep)
      for (const spec of group)
        if (spec.kind !== 'pytorch') rmSync(artifacts.get(label(spec))!.path, { recursive: true, force: true });
  }
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  return {
    family,
    shape,
    layers,
    parameters: parameters(shape, layers),
    checkpoint: { bytes: checkpoint.bytes, seconds: checkpointSeconds },
    engines,
  };
}

const families: FamilyResult[] = [];
for (const family of options.families) families.push(await runFamily(family));

const result: RealWidthResult = {
  options,
  machine: { ...machine, loadAtEnd: loadAverage(), uptimeAtEnd: uptime() },
  floor,
  families,
  notes,
  seconds: (Date.now() - started) / 1000,
};
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'real-width.json'), `${JSON.stringify(result, null, 1)}\n`);
writeReport(result, values.out);
log(
  `wrote ${join(values.out, 'real-width.md')}, real-width.json and real-width.svg; ${machine.uptimeAtStart} → ${result.machine.uptimeAtEnd}`,
);

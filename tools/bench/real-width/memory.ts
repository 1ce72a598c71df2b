/**
 * Resident memory of one bundle, split into the process's own pages (RssAnon: prepacked weights,
 * arena, heap) and mapped file pages (RssFile: memory-mapped external data, code), against the
 * bundle's size on disk, and its load time. One bundle per process, so the figures do not mix;
 * the process's memory is read before loading (the runtime), after loading, and after a forward
 * at `--positions` (the steady state); the peak is the process's high-water mark.
 *
 *   node --import tsx tools/bench/real-width/memory.ts BUNDLE_DIR... [--positions 256 --threads 2 --out FILE.json --warm]
 *     [--key-value-outputs on-demand|always]
 *
 * `--warm` reads each bundle's files once before its process starts, so they are in the page cache
 * and the load time is onnxruntime's work, not the disk's (a cold load also waits for the disk;
 * the CPU seconds of the load are reported either way). `--key-value-outputs always` loads the LM
 * graph with its `present.*` outputs, as before they were loaded on demand (the forward keeps no
 * cache either way).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundle } from '@unmask/core';
import { benchTokens } from './engine-protocol.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    positions: { type: 'string', default: '256' },
    threads: { type: 'string', default: '2' },
    out: { type: 'string' },
    warm: { type: 'boolean', default: false },
    'key-value-outputs': { type: 'string', default: 'on-demand' },
    child: { type: 'boolean', default: false },
  },
});

/** The process's resident memory from /proc/self/status, in bytes. */
interface Status {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
  readonly peak: number;
}

/** What one child process measured of one bundle. */
export interface BundleMemory {
  readonly dir: string;
  readonly fileBytes: number;
  readonly external: boolean;
  readonly loadSeconds: number;
  /** CPU seconds (user + system, all threads) of the load: what it costs, less the machine's load. */
  readonly loadCpuSeconds: number;
  readonly forwardSeconds: number;
  readonly positions: number;
  /** When the LM graph's key/value outputs were loaded (on demand: not for this forward). */
  readonly keyValueOutputs: 'on-demand' | 'always';
  readonly before: Status;
  readonly loaded: Status;
  readonly steady: Status;
  /** Resident mapped pages per bundle file (by name), the rest (code, libraries) as `other`: after loading, after the forward. */
  readonly mappedLoaded: Record<string, number>;
  readonly mappedSteady: Record<string, number>;
}

const status = (): Status => {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), peak: kib('VmHWM') };
};
/** Resident pages of file mappings from /proc/self/smaps, summed per file of `dir` and for all other files. */
const mappedByFile = (dir: string): Record<string, number> => {
  const out: Record<string, number> = {};
  const prefix = `${resolve(dir)}/`;
  let file: string | undefined;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) file = header[1] !== '0' && header[2]!.startsWith('/') ? header[2]! : undefined;
    else if (file && line.startsWith('Rss:')) {
      const key = file.startsWith(prefix) ? file.slice(prefix.length) : 'other';
      out[key] = (out[key] ?? 0) + Number(/(\d+)/.exec(line)![1]) * 1024;
    }
  }
  return out;
};
/** Reads every file under `path` once (into the page cache), 64 MiB at a time. */
const readAll = (path: string): void => {
  if (statSync(path).isDirectory()) for (const f of readdirSync(path)) readAll(join(path, f));
  else {
    const fd = openSync(path, 'r');
    const chunk = Buffer.allocUnsafe(64 * 2 ** 20);
    while (readSync(fd, chunk, 0, chunk.length, null) > 0);
    closeSync(fd);
  }
};
const folderBytes = (path: string): number =>
  statSync(path).isDirectory()
    ? readdirSync(path).reduce((sum, f) => sum + folderBytes(join(path, f)), 0)
    : statSync(path).size;

if (values.child) {
  const dir = positionals[0]!;
  const before = status();
  let t = performance.now();
  const cpu = process.cpuUsage();
  const keyValueOutputs = values['key-value-outputs'];
  if (keyValueOutputs !== 'on-demand' && keyValueOutputs !== 'always')
    throw new Error(`--key-value-outputs must be on-demand or always, got ${keyValueOutputs}`);
  const bundle = await loadBundle(dir, {
    poolSize: 1,
    sessionOptions: { intraOpNumThreads: Number(values.threads) },
    keyValueOutputs,
  });
  const loadSeconds = (performance.now() - t) / 1000;
  const loadCpu = process.cpuUsage(cpu);
  const loadCpuSeconds = (loadCpu.user + loadCpu.system) / 1e6;
  const loaded = status();
  const mappedLoaded = mappedByFile(dir);
  const S = Number(values.positions);
  const ids = benchTokens(S, bundle.model.info.vocabSize);
  const positionIds = ids.map((_, i) => i);
  t = performance.now();
  await bundle.model.forward([{ inputIds: ids, positionIds, logitsIndices: positionIds.slice(-32) }]);
  const forwardSeconds = (performance.now() - t) / 1000;
  const steady = status();
  const mappedSteady = mappedByFile(dir);
  await bundle.close();
  const external = readdirSync(dir).some((f) => f.endsWith('.onnx.data'));
  const record: BundleMemory = {
    dir,
    fileBytes: folderBytes(dir),
    external,
    loadSeconds,
    loadCpuSeconds,
    forwardSeconds,
    positions: S,
    keyValueOutputs,
    before,
    loaded,
    steady,
    mappedLoaded,
    mappedSteady,
  };
  console.log(JSON.stringify(record));
} else {
  const gib = (b: number) => (b / 2 ** 30).toFixed(2);
  const x = (r: number) => `${r.toFixed(2)}×`;
  console.log(
    `| bundle | weights | file GiB | load s (CPU s) | after load: anonymous / mapped GiB | after a forward of ${values.positions}: RSS / anonymous / mapped GiB | peak GiB | runtime before loading GiB | RSS ÷ file | RSS gained by loading ÷ file: steady / peak | anonymous gained ÷ file |`,
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const records: BundleMemory[] = [];
  for (const dir of positionals) {
    if (values.warm) readAll(dir);
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        dir,
        '--positions',
        values.positions!,
        '--threads',
        values.threads!,
        '--key-value-outputs',
        values['key-value-outputs']!,
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`${dir}: ${child.stderr.slice(-600)}`);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as BundleMemory;
    records.push(r);
    if (values.out) writeFileSync(values.out, `${JSON.stringify(records, null, 2)}\n`);
    const { before: b, loaded: l, steady: s } = r;
    console.log(
      `| ${dir} | ${r.external ? 'external data' : 'inline'} | ${gib(r.fileBytes)} | ${r.loadSeconds.toFixed(1)} (${r.loadCpuSeconds.toFixed(1)}) | ${gib(l.anon)} / ${gib(l.file)} | ${gib(s.rss)} / ${gib(s.anon)} / ${gib(s.file)} | ${gib(s.peak)} | ${gib(b.rss)} | ${x(s.rss / r.fileBytes)} | ${x((s.rss - b.rss) / r.fileBytes)} / ${x((s.peak - b.rss) / r.fileBytes)} | ${x((s.anon - b.anon) / r.fileBytes)} |`,
    );
  }
}

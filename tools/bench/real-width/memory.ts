/**
 * Resident memory of one bundle, split into the process's own pages (RssAnon: prepacked weights,
 * arena, heap) and mapped file pages (RssFile: memory-mapped external data, code), against the
 * bundle's size on disk. One bundle per process, so the figures do not mix; a forward at
 * `--positions` after loading gives the steady state.
 *
 *   node --import tsx tools/bench/real-width/memory.ts BUNDLE_DIR... [--positions 256 --threads 2]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBundle } from '@unmask/core';
import { benchTokens } from './engine-protocol.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    positions: { type: 'string', default: '256' },
    threads: { type: 'string', default: '2' },
    child: { type: 'boolean', default: false },
  },
});

const status = () => {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), peak: kib('VmHWM') };
};
const folderBytes = (path: string): number =>
  statSync(path).isDirectory()
    ? readdirSync(path).reduce((sum, f) => sum + folderBytes(join(path, f)), 0)
    : statSync(path).size;

if (values.child) {
  const dir = positionals[0]!;
  const before = status();
  const t = performance.now();
  const bundle = await loadBundle(dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: Number(values.threads) } });
  const loadSeconds = (performance.now() - t) / 1000;
  const loaded = status();
  const S = Number(values.positions);
  const ids = benchTokens(S, bundle.model.info.vocabSize);
  const positionIds = ids.map((_, i) => i);
  await bundle.model.forward([{ inputIds: ids, positionIds, logitsIndices: positionIds.slice(-32) }]);
  const steady = status();
  await bundle.close();
  const external = readdirSync(dir).some((f) => f.endsWith('.onnx.data'));
  console.log(JSON.stringify({ dir, fileBytes: folderBytes(dir), external, loadSeconds, before, loaded, steady }));
} else {
  const gib = (b: number) => (b / 2 ** 30).toFixed(2);
  console.log(
    '| bundle | weights | file GiB | load s | RSS GiB | of which anonymous | of which mapped files | peak GiB | RSS ÷ file | anonymous ÷ file | RSS gained by loading ÷ file |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const dir of positionals) {
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
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`${dir}: ${child.stderr.slice(-600)}`);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    const s = r.steady;
    console.log(
      `| ${dir} | ${r.external ? 'external data' : 'inline'} | ${gib(r.fileBytes)} | ${r.loadSeconds.toFixed(1)} | ${gib(s.rss)} | ${gib(s.anon)} | ${gib(s.file)} | ${gib(s.peak)} | ${(s.rss / r.fileBytes).toFixed(2)}× | ${(s.anon / r.fileBytes).toFixed(2)}× | ${((s.rss - r.before.rss) / r.fileBytes).toFixed(2)}× |`,
    );
  }
}

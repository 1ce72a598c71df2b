/**
 * The benchmark's llama.cpp engine process, through node-llama-cpp (installed by the benchmark
 * into `--peer-dir`, not a dependency of the project; see llama-install.ts). A forward is the
 * evaluation of the S prompt tokens in one batch (one llama_decode) with the next token
 * computed (greedy) at the last `logits` positions, the same work as one unmask forward with
 * `logits` logit rows. The sequence is cleared after each forward.
 *
 *   node --import tsx tools/bench/real-width/llama-engine.ts --gguf FILE --vocab V --threads N --context N --peer-dir DIR
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchTokens, processMemory, serveEngine } from './engine-protocol.js';

const { values } = parseArgs({
  options: {
    gguf: { type: 'string' },
    threads: { type: 'string', default: '2' },
    context: { type: 'string', default: '1024' },
    'peer-dir': { type: 'string' },
    vocab: { type: 'string' },
  },
});
if (!values.gguf || !values['peer-dir'] || !values.vocab)
  throw new Error('--gguf, --peer-dir and --vocab are required');
const threads = Number(values.threads);
const contextSize = Number(values.context);
const vocab = Number(values.vocab);

const packageDir = join(values['peer-dir'], 'node_modules', 'node-llama-cpp');
const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
const release = (
  JSON.parse(readFileSync(join(packageDir, 'llama', 'binariesGithubRelease.json'), 'utf8')) as { release: string }
).release;
// biome-ignore lint/suspicious/noExplicitAny: node-llama-cpp is installed at run time, outside the project's types.
const nlc: any = await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href);

const baseline = processMemory();
const started = performance.now();
const llama = await nlc.getLlama({
  gpu: false,
  build: 'never',
  logLevel: nlc.LlamaLogLevel.error,
  maxThreads: threads,
});
const model = await llama.loadModel({ modelPath: values.gguf, gpuLayers: 0, useMmap: true });
const context = await model.createContext({ contextSize, batchSize: contextSize, threads, sequences: 1 });
const sequence = context.getSequence();
const loadSeconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({
    ready: true,
    loadSeconds,
    baselineRss: baseline.rss,
    ...processMemory(),
    engine: `llama.cpp ${release} (node-llama-cpp ${version}, prebuilt CPU binaries)`,
  })}\n`,
);

await serveEngine({
  async forward(positions, logits, rows) {
    if (rows !== 1) throw new Error('the llama.cpp engine runs one row per forward');
    if (positions > contextSize) throw new Error(`${positions} positions exceed the context of ${contextSize}`);
    const ids = benchTokens(positions, vocab);
    const first = positions - Math.min(logits, positions);
    const input = ids.map((id, i) =>
      i >= first ? [id, { generateNext: { token: true, options: { temperature: 0 } } }] : id,
    );
    const t = performance.now();
    const out = await sequence.controlledEvaluate(input);
    const seconds = (performance.now() - t) / 1000;
    await sequence.clearHistory();
    const argmax: number[] = [];
    for (let i = first; i < positions; i++) argmax.push(out[i]?.next?.token ?? -1);
    return { seconds, argmax };
  },
  async close() {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  },
});

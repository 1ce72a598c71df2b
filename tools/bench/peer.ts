/**
 * Spawns the PyTorch peer (peer.py under /usr/bin/python3 with OMP_NUM_THREADS = the run's
 * thread count) on the same prompts (token ids and spliced media features) and greedy
 * fixed-step strategy.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Manifest, SplicedEmbeddings } from '@unmask/core';
import { type PeerLmConfig, bundleWeights, writeSafetensors } from './bundle-weights.js';
import { sameTokens } from './grid.js';
import type { PeerComparison } from './result.js';
import { mean, quantile } from './stats.js';

export const PEER_SCRIPT = fileURLToPath(new URL('peer.py', import.meta.url));
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

export const peerWeightsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tiny') }),
  z.object({ kind: z.literal('tiny-multimodal') }),
  z.object({ kind: z.literal('lm-pt'), path: z.string() }),
  z.object({ kind: z.literal('hf'), path: z.string() }),
  z.object({ kind: z.literal('bundle'), dir: z.string() }),
]);
export type PeerWeights = z.infer<typeof peerWeightsSchema>;

const peerHeaderSchema = z.object({ torch: z.string(), threads: z.number() });
const peerResultSchema = z.object({
  canvas: z.array(z.number()),
  forward_passes: z.number(),
  ms: z.number(),
  min_margin: z.number(),
});
export interface PeerOutput extends z.infer<typeof peerHeaderSchema> {
  readonly results: z.infer<typeof peerResultSchema>[];
  /** True when the time limit stopped the peer before every prompt was done. */
  readonly cut: boolean;
}

/**
 * Where the peer's weights come from: `--peer-checkpoint` (a `.pt` file written by train_lm, or
 * a folder with a Llama/Qwen2-layout checkpoint), else the tiny test bundles' own builders by
 * manifest name, else the bundle's own ONNX initializers (bundle-weights.ts), which every bundle
 * exported by tools/train has: the default model's peer needs nothing beside the bundle.
 */
export function peerWeightsFor(manifestName: string, checkpoint: string | undefined, bundleDir: string): PeerWeights {
  if (checkpoint)
    return checkpoint.endsWith('.pt') ? { kind: 'lm-pt', path: checkpoint } : { kind: 'hf', path: checkpoint };
  if (manifestName === 'tiny-random') return { kind: 'tiny' };
  if (manifestName === 'tiny-random-multimodal') return { kind: 'tiny-multimodal' };
  return { kind: 'bundle', dir: bundleDir };
}

/** How the report names the weights. */
export function describePeerWeights(weights: PeerWeights): string {
  if (weights.kind === 'bundle') return `rebuilt from the bundle's ONNX initializers (${weights.dir})`;
  return 'path' in weights ? `checkpoint ${weights.path}` : weights.kind;
}

/** A prompt's token ids and the media features spliced over its placeholder positions. */
export interface PeerPrompt {
  readonly ids: readonly number[];
  readonly splices: readonly { readonly offset: number; readonly count: number; readonly data: readonly number[] }[];
}

export function peerPrompt(promptIds: readonly number[], embeddings: readonly SplicedEmbeddings[]): PeerPrompt {
  return {
    ids: promptIds,
    splices: embeddings.map((e) => ({ offset: e.offset, count: e.count, data: Array.from(e.data) })),
  };
}

export interface PeerJob {
  readonly weights: PeerWeights;
  readonly threads: number;
  readonly prompts: readonly PeerPrompt[];
  readonly gen_length: number;
  readonly steps: number;
  readonly block_length: number;
  readonly mask_id: number;
  readonly eos_id: number;
  readonly warmup: number;
}

/** The job as peer.py reads it: weights rebuilt from a bundle become a safetensors file and an LMConfig. */
function peerJobFile(job: PeerJob, dir: string): string {
  let weights: PeerWeights | { kind: 'state'; path: string; config: PeerLmConfig } = job.weights;
  if (job.weights.kind === 'bundle') {
    const manifest = JSON.parse(readFileSync(join(job.weights.dir, 'manifest.json'), 'utf8')) as Manifest;
    const rebuilt = bundleWeights(
      join(job.weights.dir, manifest.lm.graph),
      join(job.weights.dir, manifest.lm.embed_graph),
      manifest.sizes,
    );
    const path = join(dir, 'weights.safetensors');
    writeSafetensors(path, rebuilt.tensors);
    weights = { kind: 'state', path, config: rebuilt.config };
  }
  const file = join(dir, 'job.json');
  writeFileSync(file, JSON.stringify({ ...job, weights }));
  return file;
}

export async function runPeer(job: PeerJob, timeoutMs: number): Promise<PeerOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-peer-'));
  try {
    const file = peerJobFile(job, dir);
    const child = spawn(PYTHON, [PEER_SCRIPT, file], {
      env: { ...process.env, OMP_NUM_THREADS: String(job.threads), MKL_NUM_THREADS: String(job.threads) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let cut = false;
    const timer = setTimeout(() => {
      cut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    if ((code !== 0 && !cut) || lines.length < 2) {
      throw new Error(
        `peer.py exited with ${code}${cut ? ' (stopped at the time limit before finishing one prompt)' : ''}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    const header = peerHeaderSchema.parse(JSON.parse(lines[0]!));
    return { ...header, results: lines.slice(1).map((l) => peerResultSchema.parse(JSON.parse(l))), cut };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Our answers against the peer's on the prompts it finished (the first `out.results.length` of
 * `ours`, in the same order): latencies, speed-ups, and which canvases differ token for token.
 */
export function comparePeer(
  weights: PeerWeights,
  out: PeerOutput,
  ours: readonly { readonly ms: number; readonly canvas: readonly number[] }[],
): PeerComparison {
  if (out.results.length > ours.length)
    throw new Error(`the peer answered ${out.results.length} prompts, but ${ours.length} were asked`);
  const oursMs = ours.slice(0, out.results.length).map((a) => a.ms);
  const peerMs = out.results.map((r) => r.ms);
  const disagreements: PeerComparison['disagreements'] = [];
  out.results.forEach((r, i) => {
    const canvas = ours[i]!.canvas;
    if (!sameTokens(canvas, r.canvas))
      disagreements.push({ prompt: i, ours: [...canvas], peer: r.canvas, minMargin: r.min_margin });
  });
  return {
    weights: describePeerWeights(weights),
    torch: out.torch,
    threads: out.threads,
    requests: out.results.length,
    peerP50Ms: quantile(peerMs, 0.5),
    peerMeanMs: mean(peerMs),
    oursP50Ms: quantile(oursMs, 0.5),
    oursMeanMs: mean(oursMs),
    speedupP50: quantile(peerMs, 0.5) / quantile(oursMs, 0.5),
    speedupMean: mean(peerMs) / mean(oursMs),
    agree: out.results.length - disagreements.length,
    nearTies: out.results.filter((r) => r.min_margin < 1e-3).length,
    disagreements,
  };
}

/**
 * Spawns the PyTorch peer (peer.py under /usr/bin/python3 with OMP_NUM_THREADS = the run's
 * thread count) on the same prompts (token ids and spliced media features) and greedy
 * fixed-step strategy.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { SplicedEmbeddings } from '@unmask/core';

export const PEER_SCRIPT = fileURLToPath(new URL('peer.py', import.meta.url));
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

export const peerWeightsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tiny') }),
  z.object({ kind: z.literal('tiny-multimodal') }),
  z.object({ kind: z.literal('lm-pt'), path: z.string() }),
  z.object({ kind: z.literal('hf'), path: z.string() }),
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
 * Where the peer's weights come from: `--peer-checkpoint` (a `.pt` file written by train_lm,
 * the default model's LM, or a folder with a Llama/Qwen2-layout checkpoint), else the tiny
 * bundles by manifest name; undefined when neither applies (the peer is then skipped and the
 * report says so).
 */
export function peerWeightsFor(manifestName: string, checkpoint: string | undefined): PeerWeights | undefined {
  if (checkpoint)
    return checkpoint.endsWith('.pt') ? { kind: 'lm-pt', path: checkpoint } : { kind: 'hf', path: checkpoint };
  if (manifestName === 'tiny-random') return { kind: 'tiny' };
  if (manifestName === 'tiny-random-multimodal') return { kind: 'tiny-multimodal' };
  return undefined;
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

export async function runPeer(job: PeerJob, timeoutMs: number): Promise<PeerOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'unmask-peer-'));
  const file = join(dir, 'job.json');
  writeFileSync(file, JSON.stringify(job));
  try {
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

/**
 * `--sweep-session`: onnxruntime session settings measured on the bundle's lm.onnx, one
 * uncached full-canvas pass (batch 1, prompt + canvas positions, the canvas's logits) as the
 * workload. Settings are varied one at a time from the runtime's defaults, and the runs of all
 * settings are interleaved in rounds so that load from other processes falls on all alike.
 * Pool size is measured separately through the engine (pool-size.ts).
 */
import type { Manifest } from '@unmask/core';
import ort from 'onnxruntime-node';
import { quantile } from './stats.js';

export interface SweepSetting {
  readonly label: string;
  readonly options: ort.InferenceSession.SessionOptions;
}

export interface SweepResult {
  readonly label: string;
  readonly options: ort.InferenceSession.SessionOptions;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

export function sweepSettings(cores: number): SweepSetting[] {
  const noSpin = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  const settings: SweepSetting[] = [
    { label: 'defaults (threads = cores, optimisation all, spinning, arena)', options: {} },
    { label: 'intra-op threads 1', options: { intraOpNumThreads: 1 } },
    { label: 'intra-op threads 1, no spinning', options: { intraOpNumThreads: 1, extra: noSpin } },
    { label: `intra-op threads ${cores}, no spinning`, options: { intraOpNumThreads: cores, extra: noSpin } },
    { label: 'optimisation disabled', options: { graphOptimizationLevel: 'disabled' } },
    { label: 'optimisation basic', options: { graphOptimizationLevel: 'basic' } },
    { label: 'optimisation extended', options: { graphOptimizationLevel: 'extended' } },
    { label: 'memory arena off', options: { enableCpuMemArena: false } },
    { label: 'memory pattern off', options: { enableMemPattern: false } },
  ];
  if (cores === 1) return settings.filter((s) => !s.label.startsWith('intra-op threads 1,'));
  return settings;
}

function feeds(manifest: Manifest, positions: number, logits: number): Record<string, ort.Tensor> {
  const { hidden_size: H, num_layers: L, num_key_value_heads: K, head_dim: D } = manifest.sizes;
  const embeds = Float32Array.from({ length: positions * H }, (_, i) => Math.sin(i) * 0.5);
  const positionIds = BigInt64Array.from({ length: positions }, (_, i) => BigInt(i));
  const mrope = manifest.lm.position_ids === 'mrope';
  const out: Record<string, ort.Tensor> = {
    inputs_embeds: new ort.Tensor('float32', embeds, [1, positions, H]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(positions).fill(1n), [1, positions]),
    position_ids: mrope
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: 3 * positions }, (_, i) => BigInt(i % positions)),
          [3, 1, positions],
        )
      : new ort.Tensor('int64', positionIds, [1, positions]),
    logits_indices: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: logits }, (_, i) => BigInt(positions - logits + i)),
      [1, logits],
    ),
  };
  for (let i = 0; i < L; i++) {
    out[`past_key_values.${i}.key`] = new ort.Tensor('float32', new Float32Array(0), [1, K, 0, D]);
    out[`past_key_values.${i}.value`] = new ort.Tensor('float32', new Float32Array(0), [1, K, 0, D]);
  }
  return out;
}

export async function sweepSessions(
  lmGraph: string,
  manifest: Manifest,
  positions: number,
  logits: number,
  settings: readonly SweepSetting[],
  rounds: number,
  secondsPerRound: number,
  onStep: () => void,
): Promise<SweepResult[]> {
  const input = feeds(manifest, positions, logits);
  const times = settings.map(() => [] as number[]);
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const s of settings) {
      const session = await ort.InferenceSession.create(lmGraph, { interOpNumThreads: 1, ...s.options });
      await session.run(input, ['logits']); // warm-up
      sessions.push(session);
    }
    for (let r = 0; r < rounds; r++) {
      for (const [i, session] of sessions.entries()) {
        const started = performance.now();
        while (performance.now() - started < secondsPerRound * 1000 || times[i]!.length < 3 * (r + 1)) {
          const t0 = performance.now();
          await session.run(input, ['logits']);
          times[i]!.push(performance.now() - t0);
        }
        onStep();
      }
    }
  } finally {
    for (const s of sessions) await s.release();
  }
  return settings.map((s, i) => ({
    label: s.label,
    options: s.options,
    runs: times[i]!.length,
    p50Ms: quantile(times[i]!, 0.5),
    p95Ms: quantile(times[i]!, 0.95),
  }));
}

/**
 * Settings worth changing: those whose p50 beats the defaults by more than `margin` (a
 * fraction); the rest are within this run's noise and the defaults stay.
 */
export function recommend(results: readonly SweepResult[], margin = 0.05): string[] {
  const base = results[0];
  if (!base) return [];
  const better = results.slice(1).filter((r) => r.p50Ms < base.p50Ms * (1 - margin));
  if (better.length === 0)
    return [
      `keep onnxruntime's defaults: no setting was more than ${margin * 100}% faster at p50 than them in this run`,
    ];
  return better
    .sort((a, b) => a.p50Ms - b.p50Ms)
    .map((r) => `${r.label}: p50 ${((1 - r.p50Ms / base.p50Ms) * 100).toFixed(0)}% below the defaults`);
}

/**
 * Choosing a token for one masked position from its logits. The distribution sampled from is
 * the upstream one (Dream's `sample_tokens`): logits divided by the temperature (when > 0), then
 * top-p (nucleus) filtering, then top-k filtering. Temperature 0 is argmax; otherwise a token is
 * drawn by Gumbel-max in float64 (LLaDA's `add_gumbel_noise`: float32 noise lowers the effective
 * temperature). Some ids can be banned from the choice (the mask token itself).
 */
import type { RandomSource } from './random.js';

/** Sampling options with the temperature resolved (0 when neither the request nor the model's defaults set one). */
export interface ResolvedSampling {
  readonly temperature: number;
  readonly top_k?: number;
  readonly top_p?: number;
  readonly seed?: number;
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>, start = 0, end = values.length): number {
  let best = start;
  let bestValue = -Infinity;
  for (let i = start; i < end; i++) {
    const v = values[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best - start;
}

/**
 * The logits of the sampled distribution: `row / temperature` (unscaled at 0), with the tokens
 * top-p then top-k remove set to −∞. Top-p keeps the most probable tokens up to and including the
 * first whose cumulative probability exceeds p; top-k keeps every token at least as large as the
 * k-th largest (ties included), as Dream's `top_p_logits` / `top_k_logits` do.
 */
export function filteredLogits(row: ArrayLike<number>, options: ResolvedSampling): Float64Array {
  const vocab = row.length;
  const scaled = new Float64Array(vocab);
  const t = options.temperature;
  for (let i = 0; i < vocab; i++) scaled[i] = t > 0 ? (row[i] as number) / t : (row[i] as number);
  const { top_p: topP, top_k: topK } = options;
  if (topP !== undefined && topP < 1) {
    const order = Array.from({ length: vocab }, (_, i) => i).sort(
      (a, b) => (scaled[b] as number) - (scaled[a] as number),
    );
    const max = scaled[order[0] as number] as number;
    let total = 0;
    for (let i = 0; i < vocab; i++) total += Math.exp((scaled[i] as number) - max);
    let cumulative = 0;
    let crossed = false;
    for (const i of order) {
      if (crossed) scaled[i] = -Infinity;
      cumulative += Math.exp((scaled[i] as number) - max) / total;
      if (cumulative > topP) crossed = true;
    }
  }
  if (topK !== undefined && topK > 0 && topK < vocab) {
    const kth = Array.from(scaled).sort((a, b) => b - a)[topK - 1] as number;
    for (let i = 0; i < vocab; i++) if ((scaled[i] as number) < kth) scaled[i] = -Infinity;
  }
  return scaled;
}

/**
 * Chooses a token from `logits` (already filtered, any scale): argmax when `temperature` is 0,
 * else Gumbel-max over the allowed entries. `banned` ids are never chosen (unless nothing else is left).
 */
export function chooseToken(
  logits: ArrayLike<number>,
  temperature: number,
  random: RandomSource,
  banned: readonly number[] = [],
): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (v === -Infinity || banned.includes(i)) continue;
    const score = temperature > 0 ? v - Math.log(-Math.log(random.uniform())) : v;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best === -1 ? argmax(logits) : best;
}

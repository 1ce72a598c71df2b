/**
 * Choosing a token for one masked position from its logits: temperature, top-k and top-p
 * filtering, then Gumbel-max (categorical) sampling carried out in float64, since float32
 * Gumbel noise lowers the effective temperature (the LLaDA authors' observation). Temperature 0
 * is argmax.
 */
import type { SamplingOptions } from '../options/sampling-options.js';
import type { Random } from './random.js';

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
 * Samples a token id from `logits[offset, offset + vocab)`. Returns the argmax when the
 * temperature is 0.
 */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  options: SamplingOptions,
  random: Random,
): number {
  if (options.temperature === 0) return argmax(logits, offset, offset + vocab);
  const scaled = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) scaled[i] = (logits[offset + i] as number) / options.temperature;
  const allowed = filterCandidates(scaled, options.top_k, options.top_p);
  let best = -1;
  let bestScore = -Infinity;
  for (const i of allowed) {
    const gumbel = -Math.log(-Math.log(random.uniform()));
    const score = (scaled[i] as number) + gumbel;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/** The token ids that survive top-k then top-p (nucleus) filtering of the scaled logits. */
export function filterCandidates(scaled: Float64Array, topK?: number, topP?: number): number[] {
  const vocab = scaled.length;
  if (topK === undefined && (topP === undefined || topP >= 1)) return Array.from({ length: vocab }, (_, i) => i);
  const order = Array.from({ length: vocab }, (_, i) => i).sort(
    (a, b) => (scaled[b] as number) - (scaled[a] as number),
  );
  let kept = topK !== undefined ? order.slice(0, Math.min(topK, vocab)) : order;
  if (topP !== undefined && topP < 1) {
    const max = scaled[kept[0] as number] as number;
    let total = 0;
    const weights = kept.map((i) => {
      const w = Math.exp((scaled[i] as number) - max);
      total += w;
      return w;
    });
    let cumulative = 0;
    let count = 0;
    for (const w of weights) {
      count += 1;
      cumulative += w / total;
      if (cumulative >= topP) break; // keep the smallest prefix whose mass reaches top_p
    }
    kept = kept.slice(0, count);
  }
  return kept;
}

/**
 * How a rule picks k of the masked positions once it knows k, as the upstream code does:
 * - the k most confident (`torch.topk`);
 * - with `alg_temp` > 0, k drawn without replacement with probabilities softmax(confidence /
 *   alg_temp) (`torch.multinomial` on Dream's and Dimple's `full_confidence`);
 * - k uniformly at random (Dimple's `alg='origin'`: `torch.randperm(n)[:k]`);
 * - each position independently with probability p (Dream's `alg='origin'`).
 * Random draws walk the positions in canvas order, one uniform at a time, so that injected
 * randomness specifies them exactly.
 */
import type { RandomSource } from '../random.js';
import type { Candidate } from './commit-rule.js';

const inCanvasOrder = (candidates: readonly Candidate[]) => [...candidates].sort((a, b) => a.position - b.position);

/** The k most confident (candidates come sorted highest first) or, with `algTemp` > 0, drawn from softmax(confidence / algTemp). */
export function pickByConfidence(
  candidates: readonly Candidate[],
  k: number,
  algTemp: number | undefined,
  random: RandomSource,
): Candidate[] {
  if (k <= 0) return [];
  if (algTemp === undefined || algTemp === 0) return candidates.slice(0, k);
  const pool = inCanvasOrder(candidates);
  const max = Math.max(...pool.map((c) => c.confidence / algTemp));
  const weights = pool.map((c) => Math.exp(c.confidence / algTemp - max));
  const picked: Candidate[] = [];
  while (picked.length < k && pool.length > 0) {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = random.uniform() * total;
    let index = weights.findIndex((w) => (u -= w) < 0);
    if (index === -1) index = weights.length - 1;
    picked.push(pool[index] as Candidate);
    pool.splice(index, 1);
    weights.splice(index, 1);
  }
  return picked;
}

/** k positions uniformly at random (a random permutation's first k). */
export function pickAtRandom(candidates: readonly Candidate[], k: number, random: RandomSource): Candidate[] {
  const pool = inCanvasOrder(candidates);
  const picked: Candidate[] = [];
  while (picked.length < k && pool.length > 0) {
    const index = Math.min(pool.length - 1, Math.floor(random.uniform() * pool.length));
    picked.push(pool[index] as Candidate);
    pool.splice(index, 1);
  }
  return picked;
}

/** Every position independently with probability `p` (a uniform below p commits it). */
export function pickEach(candidates: readonly Candidate[], p: number, random: RandomSource): Candidate[] {
  return inCanvasOrder(candidates).filter(() => random.uniform() < p);
}

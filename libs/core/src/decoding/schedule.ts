/**
 * How many masked positions a step commits, by the published schedules.
 *
 * Dream's and Dimple's schedules are computed in float32 exactly as the PyTorch code does
 * (`Math.fround` after every operation), since `int(n·(1 − s/t))` truncates: a value one ulp
 * below an integer would commit one token fewer.
 */
const f = Math.fround;

/**
 * LLaDA's `get_num_transfer_tokens`: a block's masks spread evenly over its steps, the remainder
 * one each on the first steps. Steps past the masks get 0.
 */
export function transferSchedule(maskCount: number, steps: number): number[] {
  if (steps < 1) return [];
  const base = Math.floor(maskCount / steps);
  const remainder = maskCount % steps;
  return Array.from({ length: steps }, (_, i) => base + (i < remainder ? 1 : 0));
}

/** Ascending step sizes: 2^i tokens at step i (i from 0). */
export function ascendingStepSize(stepInBlock: number): number {
  return 2 ** Math.min(stepInBlock, 30);
}

/**
 * `torch.linspace(1, eps, steps + 1)` in float32, by the formula of PyTorch's CUDA kernel and
 * scalar CPU path (the first half counted from the start, the second from the end).
 */
export function epsTimesteps(steps: number, eps: number): number[] {
  const n = steps + 1;
  const start = f(1);
  const end = f(eps);
  if (n === 1) return [start];
  const step = f(f(end - start) / (n - 1));
  const half = Math.floor(n / 2);
  return Array.from({ length: n }, (_, i) => (i < half ? f(start + f(step * i)) : f(end - f(step * (n - i - 1)))));
}

/**
 * Dream's `diffusion_generate` (`alg` other than `origin`): step i of `steps` commits
 * int(n·(1 − s/t)) of the n masks left, t and s the i-th and (i+1)-th timesteps; 0 is allowed;
 * the last step commits every mask left.
 */
export function epsTransferCount(masksLeft: number, step: number, timesteps: readonly number[]): number {
  const steps = timesteps.length - 1;
  if (step >= steps - 1) return masksLeft;
  const t = timesteps[step] as number;
  const s = timesteps[step + 1] as number;
  return Math.trunc(f(masksLeft * f(1 - f(s / t))));
}

/** Dream's `alg='origin'`: the probability that a mask commits at step i (1 at the last step). */
export function epsTransferProbability(step: number, timesteps: readonly number[]): number {
  const steps = timesteps.length - 1;
  if (step >= steps - 1) return 1;
  return f(1 - f((timesteps[step + 1] as number) / (timesteps[step] as number)));
}

/**
 * Dimple's schedule when no mask passes τ (`DimpleGenerationMixin._sample`, pipeline `dim`): the
 * eps schedule re-anchored at the current mask ratio t = n / N. From the timesteps below t (and
 * not before step + 1), the first s giving int(n·(1 − s/t)) ≥ 1 sets the count; the last
 * timestep gives all n. Upstream raises when t is already at or below eps; here every mask commits.
 */
export function reanchoredTransferCount(
  masksLeft: number,
  masksAtStart: number,
  step: number,
  timesteps: readonly number[],
): number {
  const steps = timesteps.length - 1;
  const last = timesteps[steps] as number;
  const t = f(masksLeft / masksAtStart);
  if (t <= last) return masksLeft;
  const below = timesteps.findIndex((v) => v < t);
  for (let index = Math.max(below, step + 1); index <= steps; index++) {
    const s = timesteps[index] as number;
    const count = s > last ? Math.trunc(f(masksLeft * f(1 - f(s / t)))) : masksLeft;
    if (count >= 1) return count;
  }
  return masksLeft;
}

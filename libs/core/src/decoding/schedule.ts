/**
 * How many masked positions a fixed-step schedule commits at each step. LLaDA's rule: spread
 * the block's masks evenly over its steps, the remainder going one each to the first steps.
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

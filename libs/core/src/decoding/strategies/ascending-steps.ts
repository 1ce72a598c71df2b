/** Ascending step size: step i of a block commits the 2^i most confident masked positions. */
import { ascendingStepSize } from '../schedule.js';
import type { CommitRule } from './commit-rule.js';

export function ascendingSteps(): CommitRule {
  return ({ candidates, stepInBlock }) => candidates.slice(0, ascendingStepSize(stepInBlock));
}

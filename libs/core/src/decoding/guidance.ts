/**
 * LLaDA's unsupervised classifier-free guidance (`generate.py: generate`, `cfg_scale` > 0): every
 * pass also runs the canvas with the prompt's positions set to the mask token (media rows
 * included: LLaDA-V masks their embeddings too), in the same batch, and the logits become
 * un + (cfg_scale + 1)·(cond − un).
 */
import type { ForwardRow } from '../model/language-model.js';

/** The unconditional twin of a row: prompt positions masked, no spliced media, no cache. */
export function unconditionalRow(row: ForwardRow, promptLength: number, maskTokenId: number): ForwardRow {
  const inputIds = Int32Array.from(row.inputIds, (id, i) =>
    (row.positionIds[i] as number) < promptLength ? maskTokenId : id,
  );
  const { embeddings: _embeddings, keep: _keep, past: _past, ...rest } = row;
  return { ...rest, inputIds };
}

/** un + (scale + 1)·(cond − un), element-wise. */
export function guidedLogits(cond: Float32Array, uncond: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(cond.length);
  for (let i = 0; i < cond.length; i++) {
    const u = uncond[i] as number;
    out[i] = u + (scale + 1) * ((cond[i] as number) - u);
  }
  return out;
}

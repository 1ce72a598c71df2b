/**
 * Multimodal rotary positions (M-RoPE, Qwen2-VL; the LM inside Dimple) for the LM graph.
 *
 * `position_ids` is [3, batch, seq]: a temporal, a height and a width index per token (all three
 * equal for text). The D/2 rotary frequencies are split into sections (`mrope_section`, e.g.
 * [16, 24, 24] for head size 128): the first section's frequencies turn with the temporal index,
 * the next with the height index, the last with the width index. Both halves of the rotate-half
 * form use the same split, so the result is an ordinary rotary angle table [batch, seq, D/2]
 * that the LM graph duplicates over the two halves exactly as for 1-D positions.
 *
 * In the graph: angles of all three components ([3, batch, seq, D/2]), times a constant one-hot
 * selector [3, 1, 1, D/2], summed over the component axis (adding exact zeros, so the selected
 * angle is unchanged bit for bit).
 */
import { UnmaskError } from '@unmask/core';
import type { OnnxGraphBuilder } from '../onnx/onnx-graph-builder.js';

export type MropeSections = readonly [temporal: number, height: number, width: number];

/** Checks that the sections cover the rotary half exactly; returns them. */
export function checkMropeSections(sections: readonly number[], headDim: number, source: string): MropeSections {
  if (sections.length !== 3 || sections.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new UnmaskError(
      'invalid_bundle',
      `${source}: mrope_section must be three non-negative integers (temporal, height, width), got ${JSON.stringify(sections)}`,
      'mrope_section',
    );
  }
  const sum = sections[0]! + sections[1]! + sections[2]!;
  if (sum * 2 !== headDim) {
    throw new UnmaskError(
      'invalid_bundle',
      `${source}: mrope_section ${JSON.stringify(sections)} sums to ${sum}, but the head size ${headDim} has ${headDim / 2} rotary frequencies`,
      'mrope_section',
    );
  }
  return [sections[0]!, sections[1]!, sections[2]!];
}

/** Which position component (0 temporal, 1 height, 2 width) turns rotary frequency j. */
export function mropeComponentOf(sections: MropeSections): number[] {
  return sections.flatMap((size, component) => Array.from({ length: size }, () => component));
}

/**
 * The rotary angles [batch, seq, D/2] of `positionIds` (an INT64 [3, batch, seq] value) with
 * frequencies `invFreq` (D/2 of them), each frequency taking the position component of its
 * section.
 */
export function mropeAngles(
  g: OnnxGraphBuilder,
  positionIds: string,
  invFreq: Float32Array,
  sections: MropeSections,
): string {
  const components = mropeComponentOf(sections);
  if (components.length !== invFreq.length)
    throw new Error(`mrope sections cover ${components.length} frequencies, the rotary has ${invFreq.length}`);
  const half = invFreq.length;
  const selector = new Float32Array(3 * half);
  components.forEach((component, j) => (selector[component * half + j] = 1));
  const positions = g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: 1 }), g.int64s('mrope_axis_last', [3])]);
  const all = g.op('Mul', [positions, g.floats('mrope_inv_freq', invFreq)]);
  const chosen = g.op('Mul', [all, g.floats('mrope_selector', selector, [3, 1, 1, half])]);
  return g.op('ReduceSum', [chosen, g.int64s('mrope_axis_component', [0])], { keepdims: 0 });
}

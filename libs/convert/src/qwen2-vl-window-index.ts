/**
 * The index arithmetic of the Qwen2.5-VL vision tower, computed inside the graph from
 * `image_grid_thw` [1, 3] (one image or video of t × h × w patches), so the runtime feeds only
 * what the image processor produces:
 *
 * - 2-D rotary positions of every patch in the processor's order (t, h/m, w/m, m, m), where m
 *   is the spatial merge size: row = block row · m + inner row, column = block column · m +
 *   inner column; `cos` / `sin` [patches, head_dim] with the row frequencies then the column
 *   frequencies, the whole repeated twice (rotate-half form).
 * - The window order: merged units (m × m patches) of each frame cut into windows of
 *   `window` × `window` units (windows at the bottom and right edges are smaller), listed
 *   window by window; `windowIndex` [units] is the original unit at each position.
 * - Attention biases over patches in window order: `windowBias` lets a patch see the patches
 *   of its own window, `fullBias` those of its own frame (0 or the lowest float32).
 * - `reverse` [units]: where each original unit ended up, to put the merged output back.
 */
import { LOWEST_FLOAT32, type TowerOps } from './tower-layers.js';

export interface WindowIndex {
  /** Patch indices (original order) in window order, [patches]. */
  readonly patchOrder: string;
  /** cos / sin [patches, headDim] in window order. */
  readonly cos: string;
  readonly sin: string;
  readonly windowBias: string;
  readonly fullBias: string;
  /** [units]: the position in window order of each original merged unit. */
  readonly reverse: string;
}

export interface WindowIndexOptions {
  readonly mergeSize: number;
  /** Window edge in merged units (window_size / merge / patch). */
  readonly window: number;
  readonly headDim: number;
  readonly ropeTheta: number;
}

export function buildWindowIndex(ops: TowerOps, imageGridThw: string, options: WindowIndexOptions): WindowIndex {
  const { g } = ops;
  const { mergeSize: m, window: ws, headDim } = options;
  const unit = m * m;
  const scalar = (x: string) => g.op('Squeeze', [x]);
  const grid = g.op('Reshape', [imageGridThw, ops.ints([3])]);
  const part = (i: number) => g.op('Slice', [grid, ops.ints([i]), ops.ints([i + 1])]);
  const [t, h, w] = [part(0), part(1), part(2)];
  const mm = ops.ints([m]);
  const lh = g.op('Div', [h, mm]);
  const lw = g.op('Div', [w, mm]);
  const zero = ops.ints([0], []);
  const one = ops.ints([1], []);
  const range = (limit: string) => g.op('Range', [zero, scalar(limit), one]);

  // Rotary angles per patch, in the processor's order.
  const inner = ops.ints(Array.from({ length: m }, (_, i) => i));
  const full5 = g.op('Concat', [t, lh, lw, mm, mm], { axis: 0 });
  const rows = g.op('Add', [g.op('Mul', [g.op('Reshape', [range(lh), ops.ints([1, -1, 1, 1, 1])]), mm]), g.op('Reshape', [inner, ops.ints([1, 1, 1, m, 1])])]);
  const cols = g.op('Add', [g.op('Mul', [g.op('Reshape', [range(lw), ops.ints([1, 1, -1, 1, 1])]), mm]), g.op('Reshape', [inner, ops.ints([1, 1, 1, 1, m])])]);
  const flatColumn = ops.ints([-1, 1]);
  const asColumn = (x: string) => g.op('Reshape', [g.op('Cast', [g.op('Expand', [x, full5])], { to: 1 }), flatColumn]);
  const rotaryDim = headDim / 2;
  const invFreq = Array.from({ length: rotaryDim / 2 }, (_, j) => 1 / options.ropeTheta ** ((2 * j) / rotaryDim));
  const freqs = ops.float(invFreq, [1, invFreq.length]);
  const half = g.op('Concat', [g.op('Mul', [asColumn(rows), freqs]), g.op('Mul', [asColumn(cols), freqs])], { axis: 1 });
  const angles = g.op('Concat', [half, half], { axis: 1 });

  // Window order of the merged units: pad each frame's unit grid to whole windows (marker −1),
  // list the windows row by row, each window's units row by row, and drop the padding.
  const units = g.op('Mul', [g.op('Mul', [t, lh]), lw]);
  const index = g.op('Reshape', [range(units), g.op('Concat', [t, lh, lw], { axis: 0 })]);
  const wsT = ops.ints([ws]);
  const padOf = (n: string) => g.op('Mod', [g.op('Sub', [wsT, g.op('Mod', [n, wsT])]), wsT]);
  const padH = padOf(lh);
  const padW = padOf(lw);
  const pads = g.op('Concat', [ops.ints([0, 0, 0, 0]), padH, padW], { axis: 0 });
  const padded = g.op('Pad', [index, pads, ops.ints([-1], [])], { mode: 'constant' });
  const nwh = g.op('Div', [g.op('Add', [lh, padH]), wsT]);
  const nww = g.op('Div', [g.op('Add', [lw, padW]), wsT]);
  const windows = g.op('Reshape', [padded, g.op('Concat', [t, nwh, wsT, nww, wsT], { axis: 0 })]);
  const listed = g.op('Reshape', [g.op('Transpose', [windows], { perm: [0, 1, 3, 2, 4] }), ops.ints([-1])]);
  const keep = g.op('Not', [g.op('Equal', [listed, ops.ints([-1], [])])]);
  const windowIndex = g.op('Compress', [listed, keep], { axis: 0 });
  const slots = g.op('Range', [zero, scalar(g.op('Shape', [listed])), one]);
  const windowOfUnit = g.op('Compress', [g.op('Div', [slots, ops.ints([ws * ws], [])]), keep], { axis: 0 });
  const frameOfUnit = g.op('Div', [windowIndex, scalar(g.op('Mul', [lh, lw]))]);

  // Patch order and per-patch ids, each unit expanded to its m × m patches.
  const unitsCount = g.op('Shape', [windowIndex]);
  const perUnit = g.op('Concat', [unitsCount, ops.ints([unit])], { axis: 0 });
  const patchIds = (unitValues: string) => g.op('Reshape', [g.op('Expand', [g.op('Unsqueeze', [unitValues, ops.ints([1])]), perUnit]), ops.ints([-1])]);
  const patchOrder = g.op('Reshape', [
    g.op('Add', [g.op('Mul', [g.op('Unsqueeze', [windowIndex, ops.ints([1])]), ops.ints([unit], [])]), ops.ints(Array.from({ length: unit }, (_, i) => i), [1, unit])]),
    ops.ints([-1]),
  ]);
  const bias = (ids: string) => {
    const same = g.op('Equal', [g.op('Unsqueeze', [ids, ops.ints([1])]), g.op('Unsqueeze', [ids, ops.ints([0])])]);
    return g.op('Where', [same, ops.float(0), ops.float(LOWEST_FLOAT32)]);
  };
  const ordered = g.op('Gather', [angles, patchOrder], { axis: 0 });
  const reverse = g.op('ScatterElements', [g.op('Mul', [windowIndex, zero]), windowIndex, g.op('Range', [zero, scalar(unitsCount), one])], { axis: 0 });
  return {
    patchOrder,
    cos: g.op('Cos', [ordered]),
    sin: g.op('Sin', [ordered]),
    windowBias: bias(patchIds(windowOfUnit)),
    fullBias: bias(patchIds(frameOfUnit)),
    reverse,
  };
}

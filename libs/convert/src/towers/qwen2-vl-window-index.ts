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
 * - Window attention without a dense mask: `windowSlots` lists, window by window, each
 *   window's `window² · m²` patch slots as positions in the window order (padding slots point
 *   at position 0), `windowKeyBias` [windows, 1, 1, slots per window] hides the padding slots
 *   as keys, and `fromSlots` [patches] picks each patch's row back out of the slot layout.
 * - `fullBias` over patches in window order: a patch sees the patches of its own frame (0 or
 *   the lowest float32), for the full-attention blocks.
 * - `reverse` [units]: where each original unit ended up, to put the merged output back.
 */
import { LOWEST_FLOAT32, type TowerOps } from './tower-layers.js';

export interface WindowIndex {
  /** Patch indices (original order) in window order, [patches]. */
  readonly patchOrder: string;
  /** cos / sin [patches, headDim] in window order. */
  readonly cos: string;
  readonly sin: string;
  /** [windows · slots per window] positions in window order. */
  readonly windowSlots: string;
  readonly windowKeyBias: string;
  readonly fromSlots: string;
  readonly slotsPerWindow: number;
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
  const rows = g.op('Add', [
    g.op('Mul', [g.op('Reshape', [range(lh), ops.ints([1, -1, 1, 1, 1])]), mm]),
    g.op('Reshape', [inner, ops.ints([1, 1, 1, m, 1])]),
  ]);
  const cols = g.op('Add', [
    g.op('Mul', [g.op('Reshape', [range(lw), ops.ints([1, 1, -1, 1, 1])]), mm]),
    g.op('Reshape', [inner, ops.ints([1, 1, 1, 1, m])]),
  ]);
  const flatColumn = ops.ints([-1, 1]);
  const asColumn = (x: string) => g.op('Reshape', [g.op('Cast', [g.op('Expand', [x, full5])], { to: 1 }), flatColumn]);
  const rotaryDim = headDim / 2;
  const invFreq = Array.from({ length: rotaryDim / 2 }, (_, j) => 1 / options.ropeTheta ** ((2 * j) / rotaryDim));
  const freqs = ops.float(invFreq, [1, invFreq.length]);
  const half = g.op('Concat', [g.op('Mul', [asColumn(rows), freqs]), g.op('Mul', [asColumn(cols), freqs])], {
    axis: 1,
  });
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
  // Each slot's position in the window order (padding: 0), and each kept unit's slot.
  const kept = g.op('Cast', [keep], { to: 7 });
  const position = g.op('Mul', [g.op('Sub', [g.op('CumSum', [kept, zero]), one]), kept]);
  const slotOfUnit = g.op('Compress', [slots, keep], { axis: 0 });
  const frameOfUnit = g.op('Div', [windowIndex, scalar(g.op('Mul', [lh, lw]))]);

  // Units expanded to their m × m patches: indices (unit · m² + i) and per-patch ids.
  const unitsCount = g.op('Shape', [windowIndex]);
  const inUnit = ops.ints(
    Array.from({ length: unit }, (_, i) => i),
    [1, unit],
  );
  const patchesOf = (unitIndex: string) =>
    g.op('Reshape', [
      g.op('Add', [g.op('Mul', [g.op('Unsqueeze', [unitIndex, ops.ints([1])]), ops.ints([unit], [])]), inUnit]),
      ops.ints([-1]),
    ]);
  const perUnit = (values: string) =>
    g.op('Reshape', [
      g.op('Expand', [
        g.op('Unsqueeze', [values, ops.ints([1])]),
        g.op('Concat', [g.op('Shape', [values]), ops.ints([unit])], { axis: 0 }),
      ]),
      ops.ints([-1]),
    ]);
  const patchOrder = patchesOf(windowIndex);
  const frameOfPatch = perUnit(frameOfUnit);
  const sameFrame = g.op('Equal', [
    g.op('Unsqueeze', [frameOfPatch, ops.ints([1])]),
    g.op('Unsqueeze', [frameOfPatch, ops.ints([0])]),
  ]);
  const slotsPerWindow = ws * ws * unit;
  const keySlot = g.op('Reshape', [perUnit(keep), ops.ints([-1, 1, 1, slotsPerWindow])]);
  const ordered = g.op('Gather', [angles, patchOrder], { axis: 0 });
  const reverse = g.op(
    'ScatterElements',
    [g.op('Mul', [windowIndex, zero]), windowIndex, g.op('Range', [zero, scalar(unitsCount), one])],
    { axis: 0 },
  );
  return {
    patchOrder,
    cos: g.op('Cos', [ordered]),
    sin: g.op('Sin', [ordered]),
    windowSlots: patchesOf(position),
    windowKeyBias: g.op('Where', [keySlot, ops.float(0), ops.float(LOWEST_FLOAT32)]),
    fromSlots: patchesOf(slotOfUnit),
    slotsPerWindow,
    fullBias: g.op('Where', [sameFrame, ops.float(0), ops.float(LOWEST_FLOAT32)]),
    reverse,
  };
}

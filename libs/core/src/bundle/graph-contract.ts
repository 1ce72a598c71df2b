/**
 * Checks a loaded graph's inputs and outputs (names, element types, ranks, fixed sizes) against
 * what a contract expects, from session metadata, so a bad graph fails at load with a message
 * naming the file, the tensor and the manifest field it contradicts.
 */
import { UnmaskError } from '../errors.js';
import type { GraphIO, TensorElementType } from '../runtime/graph-runner.js';
import type { ManifestSizes } from './manifest.js';

export interface ExpectedIO {
  readonly name: string;
  readonly type: TensorElementType;
  readonly rank: number;
  /** Axes whose size, when the graph fixes it, must equal a manifest size. */
  readonly sizes?: readonly { axis: number; size: number; field: string }[];
}

export interface ExpectedGraph {
  readonly inputs: readonly ExpectedIO[];
  readonly outputs: readonly ExpectedIO[];
  /** Where a missing or extra tensor's count comes from (e.g. "sizes.num_layers = 2"). */
  readonly note?: string;
}

export function checkGraphIO(
  file: string,
  graph: { inputs: readonly GraphIO[]; outputs: readonly GraphIO[] },
  expected: ExpectedGraph,
): void {
  const fail = (message: string): never => {
    throw new UnmaskError('invalid_bundle', `${file}: ${message}`, file);
  };
  const note = expected.note ? ` (manifest ${expected.note})` : '';
  for (const side of ['input', 'output'] as const) {
    const actual = side === 'input' ? graph.inputs : graph.outputs;
    const wanted = side === 'input' ? expected.inputs : expected.outputs;
    const byName = new Map(actual.map((io) => [io.name, io]));
    for (const want of wanted) {
      const io = byName.get(want.name);
      if (!io)
        fail(
          `missing ${side} "${want.name}"${note}; the graph's ${side}s are ${actual.map((x) => `"${x.name}"`).join(', ')}`,
        );
      const got = io as GraphIO;
      if (got.type !== want.type)
        fail(`${side} "${want.name}" has element type ${got.type}, the contract needs ${want.type}`);
      if (got.dims.length !== want.rank)
        fail(
          `${side} "${want.name}" has rank ${got.dims.length} [${got.dims.join(', ')}], the contract needs rank ${want.rank}`,
        );
      for (const { axis, size, field } of want.sizes ?? []) {
        const dim = got.dims[axis];
        if (typeof dim === 'number' && dim !== size)
          fail(`${side} "${want.name}" has size ${dim} on axis ${axis}, but manifest ${field} is ${size}`);
      }
    }
    if (side === 'input') {
      const known = new Set(wanted.map((w) => w.name));
      const extra = actual.filter((io) => !known.has(io.name));
      if (extra.length > 0)
        fail(
          `unexpected input ${extra.map((x) => `"${x.name}"`).join(', ')}${note}; the contract's inputs are ${wanted.map((w) => `"${w.name}"`).join(', ')}`,
        );
    }
  }
}

/** `embed.onnx`: input_ids int64 [batch, seq] → inputs_embeds float32 [batch, seq, hidden]. */
export function embedGraphContract(sizes: ManifestSizes): ExpectedGraph {
  return {
    inputs: [{ name: 'input_ids', type: 'int64', rank: 2 }],
    outputs: [
      {
        name: 'inputs_embeds',
        type: 'float32',
        rank: 3,
        sizes: [{ axis: 2, size: sizes.hidden_size, field: 'sizes.hidden_size' }],
      },
    ],
  };
}

/** `lm.onnx` per docs/lm-graph-contract.md. */
export function lmGraphContract(sizes: ManifestSizes, positionIds: '1d' | 'mrope' = '1d'): ExpectedGraph {
  const kv = (name: string): ExpectedIO => ({
    name,
    type: 'float32',
    rank: 4,
    sizes: [
      { axis: 1, size: sizes.num_key_value_heads, field: 'sizes.num_key_value_heads' },
      { axis: 3, size: sizes.head_dim, field: 'sizes.head_dim' },
    ],
  });
  const past: ExpectedIO[] = [];
  const present: ExpectedIO[] = [];
  for (let layer = 0; layer < sizes.num_layers; layer++) {
    past.push(kv(`past_key_values.${layer}.key`), kv(`past_key_values.${layer}.value`));
    present.push(kv(`present.${layer}.key`), kv(`present.${layer}.value`));
  }
  return {
    note: `sizes.num_layers = ${sizes.num_layers}`,
    inputs: [
      {
        name: 'inputs_embeds',
        type: 'float32',
        rank: 3,
        sizes: [{ axis: 2, size: sizes.hidden_size, field: 'sizes.hidden_size' }],
      },
      { name: 'attention_mask', type: 'int64', rank: 2 },
      { name: 'position_ids', type: 'int64', rank: positionIds === 'mrope' ? 3 : 2 },
      { name: 'logits_indices', type: 'int64', rank: 2 },
      ...past,
    ],
    outputs: [
      {
        name: 'logits',
        type: 'float32',
        rank: 3,
        sizes: [{ axis: 2, size: sizes.vocab_size, field: 'sizes.vocab_size' }],
      },
      ...present,
    ],
  };
}

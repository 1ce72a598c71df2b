/**
 * Which tensors a checkpoint of a given architecture must hold, under which names and with
 * which shapes, and the check that it holds exactly those: a missing, misshapen or unexpected
 * tensor is an error naming it (and what was expected) before anything is written.
 */
import { FLOAT_DTYPES, UnmaskError } from '@unmask/core';
import type { LmArchitecture } from './checkpoint-config.js';
import type { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';

export interface LayerTensorNames {
  readonly attnNorm: string;
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly o: string;
  readonly ffnNorm: string;
  /** SwiGLU gate (silu applied), up and down projections. */
  readonly gate: string;
  readonly up: string;
  readonly down: string;
  readonly qBias?: string;
  readonly kBias?: string;
  readonly vBias?: string;
}

export interface LmTensorNames {
  readonly embed: string;
  readonly finalNorm: string;
  /** The LM head; equals `embed` when the embeddings are tied. */
  readonly lmHead: string;
  readonly layers: readonly LayerTensorNames[];
}

/** Buffers some checkpoints carry that are not weights (the graph recomputes them). */
const IGNORABLE = [/\.rotary_emb\.inv_freq$/];

function layerNames(arch: LmArchitecture, i: number): LayerTensorNames {
  const root = arch.tensorPrefix ?? '';
  if (arch.layout === 'llada') {
    const p = `${root}model.transformer.blocks.${i}`;
    return {
      attnNorm: `${p}.attn_norm.weight`,
      q: `${p}.q_proj.weight`,
      k: `${p}.k_proj.weight`,
      v: `${p}.v_proj.weight`,
      o: `${p}.attn_out.weight`,
      ffnNorm: `${p}.ff_norm.weight`,
      gate: `${p}.ff_proj.weight`,
      up: `${p}.up_proj.weight`,
      down: `${p}.ff_out.weight`,
    };
  }
  const p = `${root}model.layers.${i}`;
  return {
    attnNorm: `${p}.input_layernorm.weight`,
    q: `${p}.self_attn.q_proj.weight`,
    k: `${p}.self_attn.k_proj.weight`,
    v: `${p}.self_attn.v_proj.weight`,
    o: `${p}.self_attn.o_proj.weight`,
    ffnNorm: `${p}.post_attention_layernorm.weight`,
    gate: `${p}.mlp.gate_proj.weight`,
    up: `${p}.mlp.up_proj.weight`,
    down: `${p}.mlp.down_proj.weight`,
    ...(arch.qkvBias
      ? {
          qBias: `${p}.self_attn.q_proj.bias`,
          kBias: `${p}.self_attn.k_proj.bias`,
          vBias: `${p}.self_attn.v_proj.bias`,
        }
      : {}),
  };
}

export function tensorNames(arch: LmArchitecture): LmTensorNames {
  const llada = arch.layout === 'llada';
  const root = arch.tensorPrefix ?? '';
  const embed = `${root}${llada ? 'model.transformer.wte.weight' : 'model.embed_tokens.weight'}`;
  return {
    embed,
    finalNorm: `${root}${llada ? 'model.transformer.ln_f.weight' : 'model.norm.weight'}`,
    lmHead: arch.tiedEmbeddings ? embed : `${root}${llada ? 'model.transformer.ff_out.weight' : 'lm_head.weight'}`,
    layers: Array.from({ length: arch.numLayers }, (_, i) => layerNames(arch, i)),
  };
}

/** Every tensor the architecture needs, with its shape as stored ([out, in] for projections). */
export function expectedShapes(arch: LmArchitecture): Map<string, readonly number[]> {
  const names = tensorNames(arch);
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: f, vocabSize: v } = arch;
  const shapes = new Map<string, readonly number[]>([
    [names.embed, [v, h]],
    [names.finalNorm, [h]],
    [names.lmHead, [v, h]],
  ]);
  for (const layer of names.layers) {
    shapes.set(layer.attnNorm, [h]);
    shapes.set(layer.q, [numHeads * d, h]);
    shapes.set(layer.k, [numKvHeads * d, h]);
    shapes.set(layer.v, [numKvHeads * d, h]);
    shapes.set(layer.o, [h, numHeads * d]);
    shapes.set(layer.ffnNorm, [h]);
    shapes.set(layer.gate, [f, h]);
    shapes.set(layer.up, [f, h]);
    shapes.set(layer.down, [h, f]);
    if (layer.qBias) shapes.set(layer.qBias, [numHeads * d]);
    if (layer.kBias) shapes.set(layer.kBias, [numKvHeads * d]);
    if (layer.vBias) shapes.set(layer.vBias, [numKvHeads * d]);
  }
  return shapes;
}

/**
 * Throws `invalid_bundle` naming the first missing or misshapen tensor, or the unexpected ones;
 * tensors under `leaveAlone` prefixes (another graph's, e.g. a vision tower's) are not looked at.
 */
export function checkTensors(
  arch: LmArchitecture,
  checkpoint: CheckpointTensors,
  leaveAlone: readonly string[] = [],
): void {
  const expected = expectedShapes(arch);
  const where = `${checkpoint.dir} (${arch.modelType}, ${arch.layout} tensor layout)`;
  // With tied embeddings the head is the embedding; a stored copy of it is not used.
  const unusedHead = arch.tiedEmbeddings
    ? `${arch.tensorPrefix ?? ''}${arch.layout === 'llada' ? 'model.transformer.ff_out.weight' : 'lm_head.weight'}`
    : undefined;
  checkTensorShapes(
    where,
    expected,
    checkpoint,
    (name) =>
      name !== unusedHead && !IGNORABLE.some((re) => re.test(name)) && !leaveAlone.some((p) => name.startsWith(p)),
  );
}

/**
 * The shared check: every tensor of `expected` present with that shape and a float dtype, and
 * no other tensor for which `counts(name)` is true. Errors are `invalid_bundle` naming the tensor.
 */
export function checkTensorShapes(
  where: string,
  expected: ReadonlyMap<string, readonly number[]>,
  checkpoint: CheckpointTensors,
  counts: (name: string) => boolean = () => true,
): void {
  for (const [name, shape] of expected) {
    const tensor = checkpoint.tensors.get(name);
    if (!tensor)
      throw new UnmaskError(
        'invalid_bundle',
        `${where}: missing tensor "${name}" (expected shape [${shape.join(', ')}])`,
        name,
      );
    if (tensor.shape.length !== shape.length || tensor.shape.some((n, i) => n !== shape[i])) {
      throw new UnmaskError(
        'invalid_bundle',
        `${where}: tensor "${name}" has shape [${tensor.shape.join(', ')}], config.json implies [${shape.join(', ')}]`,
        name,
      );
    }
    if (!FLOAT_DTYPES.includes(tensor.dtype)) {
      throw new UnmaskError(
        'invalid_bundle',
        `${where}: tensor "${name}" is ${tensor.dtype}; weights must be ${FLOAT_DTYPES.join(', ')} (quantised checkpoints are not supported)`,
        name,
      );
    }
  }
  const unexpected = [...checkpoint.tensors.keys()].filter((name) => !expected.has(name) && counts(name));
  if (unexpected.length > 0) {
    const shown = unexpected
      .slice(0, 5)
      .map((n) => `"${n}"`)
      .join(', ');
    throw new UnmaskError(
      'invalid_bundle',
      `${where}: unexpected tensor${unexpected.length > 1 ? 's' : ''} ${shown}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''}; the converter does not know what to do with ${unexpected.length > 1 ? 'them' : 'it'}`,
      unexpected[0],
    );
  }
}

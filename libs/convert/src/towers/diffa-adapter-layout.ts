/**
 * DIFFA's `config.json` → the sizes and tensor names of its two audio adapters (facts from the
 * public NKU-HLT/DIFFA code): `whisper_config` (the frozen Whisper encoder's config),
 * `llm_config.d_model` (the LM width), `prompt_size` (64 queries per tapped layer) and
 * `whisper_model_id`, which fixes the tapped entries of the hidden-state tuple. The Q-Former is
 * a default `BertConfig` with 2 layers, the Whisper width and head count and cross-attention,
 * so its feed-forward width is BERT's default 3072.
 */
import { z } from 'zod';
import { parseTowerConfig } from './tower-layers.js';

const count = z.number().int().positive();

/** Hidden-state tuple entries DIFFA's Q-Former taps, by Whisper checkpoint. */
export const DIFFA_TAPS: Readonly<Record<string, readonly number[]>> = {
  'openai/whisper-tiny': [0, 1, 2, 3],
  'openai/whisper-small': [2, 5, 8, 11],
  'openai/whisper-medium': [5, 11, 17, 23],
  'openai/whisper-large-v3': [3, 7, 11, 15, 19, 23, 27, 31],
};

export const diffaConfigSchema = z.looseObject({
  whisper_config: z.looseObject({ d_model: count, encoder_attention_heads: count, encoder_layers: count }),
  llm_config: z.looseObject({ d_model: count }),
  prompt_size: count.default(64),
  whisper_model_id: z
    .enum(Object.keys(DIFFA_TAPS) as [string, ...string[]], {
      error: `DIFFA knows the tapped layers of ${Object.keys(DIFFA_TAPS).join(', ')}`,
    })
    .default('openai/whisper-small'),
});

export interface DiffaAdapterLayout {
  /** Tensor name prefixes of the two adapters. */
  readonly semantic: string;
  readonly acoustic: string;
  readonly encoderWidth: number;
  readonly encoderHeads: number;
  readonly lmWidth: number;
  /** Entries of the encoder's hidden-state tuple the Q-Former reads (`hidden_states.K`). */
  readonly taps: readonly number[];
  readonly promptSize: number;
  readonly qformerLayers: number;
  readonly qformerIntermediate: number;
  readonly downsample: number;
  /**
   * Whether the Q-Former's queries attend causally among themselves. DIFFA calls BERT's encoder
   * without an attention mask, which (eager attention, transformers 4.49) lets every query see
   * every other: false by default.
   */
  readonly causalQueries?: boolean;
}

export function diffaAdapterLayout(raw: unknown, source = 'config.json'): DiffaAdapterLayout {
  const config = parseTowerConfig(diffaConfigSchema, raw, source);
  const taps = DIFFA_TAPS[config.whisper_model_id]!;
  const { d_model, encoder_attention_heads, encoder_layers } = config.whisper_config;
  if (taps.some((k) => k > encoder_layers)) {
    throw new RangeError(
      `${source}: whisper_model_id ${config.whisper_model_id} taps hidden states ${taps.join(', ')}, but whisper_config.encoder_layers is ${encoder_layers}`,
    );
  }
  return {
    semantic: 'semantic_connector.',
    acoustic: 'acoustic_connector.',
    encoderWidth: d_model,
    encoderHeads: encoder_attention_heads,
    lmWidth: config.llm_config.d_model,
    taps,
    promptSize: config.prompt_size,
    qformerLayers: 2,
    qformerIntermediate: 3072,
    downsample: 4,
  };
}

/** Every adapter tensor with its shape as stored. */
export function diffaAdapterShapes(layout: DiffaAdapterLayout): Map<string, readonly number[]> {
  const {
    semantic: s,
    acoustic: a,
    encoderWidth: d,
    lmWidth: o,
    promptSize: P,
    downsample: ds,
    qformerIntermediate: f,
  } = layout;
  const shapes = new Map<string, readonly number[]>();
  const linear = (name: string, out: number, input: number) => {
    shapes.set(`${name}.weight`, [out, input]);
    shapes.set(`${name}.bias`, [out]);
  };
  const norm = (name: string, width: number) => {
    shapes.set(`${name}.weight`, [width]);
    shapes.set(`${name}.bias`, [width]);
  };
  shapes.set(`${s}conv.0.weight`, [d, d, 3]);
  shapes.set(`${s}conv.0.bias`, [d]);
  shapes.set(`${s}conv.2.weight`, [d * ds, d, 3]);
  shapes.set(`${s}conv.2.bias`, [d * ds]);
  linear(`${s}linear_connector.0`, d, d * ds);
  linear(`${s}linear_connector.2`, o, d);
  norm(`${s}layernorm`, o);
  layout.taps.forEach((_, j) => shapes.set(`${a}layer_prompts.${j}`, [1, P, d]));
  shapes.set(`${a}layer_weights`, [P, layout.taps.length]);
  for (let i = 0; i < layout.qformerLayers; i++) {
    const p = `${a}qformer.layer.${i}`;
    for (const block of ['attention', 'crossattention']) {
      for (const part of ['query', 'key', 'value']) linear(`${p}.${block}.self.${part}`, d, d);
      linear(`${p}.${block}.output.dense`, d, d);
      norm(`${p}.${block}.output.LayerNorm`, d);
    }
    linear(`${p}.intermediate.dense`, f, d);
    linear(`${p}.output.dense`, d, f);
    norm(`${p}.output.LayerNorm`, d);
  }
  norm(`${a}proj.0`, d);
  linear(`${a}proj.1`, o, d);
  return shapes;
}

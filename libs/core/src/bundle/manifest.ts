/**
 * The bundle manifest (`manifest.json`), format 1. See docs/bundle-format.md.
 *
 * The vision and audio sections are validated here only as far as core needs them (files,
 * placeholder tokens); their `processor` / `feature_extractor` objects belong to
 * @unmask/vision and @unmask/audio, which validate them with their own schemas.
 */
import { z } from 'zod';
import { decodingDefaultsSchema } from '../options/decoding-defaults.js';

/** The manifest formats this runtime reads. */
export const MANIFEST_FORMATS = [1] as const;
/** The LM graph contracts this runtime runs (docs/lm-graph-contract.md). */
export const LM_CONTRACTS = ['unmask-lm/1'] as const;

/** A token given by its string, its id, or both (then they must agree). */
export const tokenRefSchema = z.union([
  z.string().min(1),
  z.number().int().nonnegative(),
  z.object({ token: z.string().min(1), id: z.number().int().nonnegative() }).strict(),
]);
export type TokenRef = z.infer<typeof tokenRefSchema>;

/** A file inside the bundle folder, as a relative path. */
const bundleFile = z
  .string()
  .min(1)
  .refine(
    (path) => !path.startsWith('/') && !path.split(/[\\/]/).includes('..'),
    'must be a relative path inside the bundle folder',
  );

const count = z.number().int().positive();

export const sizesSchema = z
  .object({
    /** Width of the LM's logits: the token ids the model can write. */
    vocab_size: count,
    /**
     * Rows of the embed graph, when it reads more ids than the model writes: ids from `vocab_size`
     * up are input only (whole words read through word vectors, say). Absent: `vocab_size`.
     */
    input_vocab_size: count.optional(),
    hidden_size: count,
    num_layers: count,
    num_attention_heads: count,
    num_key_value_heads: count,
    head_dim: count,
    /** Largest number of positions (prompt + answer) the model accepts. */
    max_positions: count,
  })
  .strict()
  .refine((sizes) => sizes.num_attention_heads % sizes.num_key_value_heads === 0, {
    message: 'num_attention_heads must be a multiple of num_key_value_heads',
    path: ['num_key_value_heads'],
  })
  .refine((sizes) => sizes.input_vocab_size === undefined || sizes.input_vocab_size >= sizes.vocab_size, {
    message: 'input_vocab_size must be at least vocab_size (the ids the model writes, it also reads)',
    path: ['input_vocab_size'],
  });

export const specialTokensSchema = z
  .object({
    mask: tokenRefSchema,
    eos: tokenRefSchema,
    pad: tokenRefSchema,
    bos: tokenRefSchema.optional(),
    image: tokenRefSchema.optional(),
    audio: tokenRefSchema.optional(),
  })
  .strict();

/** How many placeholder tokens one image takes. */
export const tokensPerImageSchema = z.discriminatedUnion('kind', [
  /** Every image gives `count` tokens (SigLIP / CLIP style fixed-size encoders). */
  z.object({ kind: z.literal('fixed'), count }).strict(),
  /** `t·h·w / merge_size²` tokens for an `image_grid_thw` of `[t, h, w]` (Qwen2-VL style). */
  z.object({ kind: z.literal('grid'), merge_size: count }).strict(),
]);

export const visionSectionSchema = z.looseObject({
  /** The vision encoder graph. */
  graph: bundleFile,
  /** Optional separate projector graph (encoder features → LM hidden size). */
  projector: bundleFile.optional(),
  placeholder: tokenRefSchema,
  tokens_per_image: tokensPerImageSchema,
  /** Image preprocessing; validated by @unmask/vision. */
  processor: z.record(z.string(), z.unknown()),
});

export const audioSectionSchema = z.looseObject({
  /** The audio encoder graph. */
  encoder: bundleFile,
  /** The adapter graph (encoder states → LM hidden size). */
  adapter: bundleFile,
  placeholder: tokenRefSchema,
  /** Log-mel settings; validated by @unmask/audio. */
  feature_extractor: z.record(z.string(), z.unknown()),
});

/** How the model was trained to answer (docs/bundle-format.md#generation). */
export const generationSectionSchema = z
  .object({
    /**
     * The answer canvas the model was trained with: a request's `max_tokens` is then only a
     * bound and the canvas is min(max_tokens, answer_length). Absent: the canvas is sized by
     * DAEDAL's initial length adjustment.
     */
    answer_length: count.optional(),
    /**
     * How a conversation becomes the prompt: `template` renders every message with the chat
     * template (real checkpoints); `last_user_turn` keeps only the last user message (a model
     * trained on single questions, like the default model, so that system messages and history
     * change nothing). Default `template`.
     */
    conversation: z.enum(['template', 'last_user_turn']).default('template'),
    /**
     * The answer the model was trained to give to what it cannot answer. With it, a whole
     * answer that is empty or holds pieces of the refusal without being it is decoded again one
     * token per step (libs/pipeline/src/answer/refusal-check.ts). Absent: no such check.
     */
    refusal: z.string().min(1).optional(),
    /**
     * The JSON the model answers with when its answer is JSON (the default model's intents), as
     * a JSON Schema. With it, a whole text answer that begins with `{` but is not this schema's
     * JSON (cut short by an early end of text, say) is decoded again under the schema's
     * constraint (libs/pipeline/src/whole-answer-check.ts). Absent: no such check.
     */
    json_answer: z
      .object({ schema: z.record(z.string(), z.unknown()) })
      .strict()
      .optional(),
    /**
     * How the model writes a tool call. `json` (default): `{"name": …, "arguments": {…}}`
     * between `prefix` and `suffix` (e.g. `<tool_call>\n` and `\n</tool_call>`), the chat
     * template rendering the offered `tools`; `arguments`: only the arguments object (a model
     * trained to answer with JSON, like the default model), the function being the one the
     * request names or the one whose schema the arguments satisfy. `auto`: whether the model
     * can choose between a text answer and a call (OpenAI's `tool_choice: "auto"`); only with
     * `json`. Default false: such requests are refused.
     */
    tool_calls: z
      .object({
        format: z.enum(['json', 'arguments']).default('json'),
        prefix: z.string().default(''),
        suffix: z.string().default(''),
        auto: z.boolean().default(false),
      })
      .strict()
      .refine((t) => !(t.auto && t.format === 'arguments'), {
        message: 'a model that writes only arguments cannot choose between text and a call (auto needs format json)',
        path: ['auto'],
      })
      .optional(),
  })
  .strict();
export type GenerationSection = z.infer<typeof generationSectionSchema>;

/**
 * The model family's upstream decoding defaults (docs/bundle-format.md, docs/decoding.md): used
 * for whatever a request does not name. The fields shared with the engine's `DecodingDefaults`
 * (strategy, parameters, options, sampling, max_tokens, cache) are that schema's; the section
 * adds where they come from and names tokens (resolved to ids when the bundle loads, where
 * `parameters` and `options` are also validated against the strategy schema).
 */
export const decodingSectionSchema = decodingDefaultsSchema.omit({ eot_token_id: true }).extend({
  /** The family (informational): llada, dream, dimple, llada-v, diffa. */
  family: z.string().min(1),
  /** Where the defaults come from: upstream repository, commit, file, function. */
  source: z.string().optional(),
  /** Tokens after which the answer ends and nothing more is decoded (LLaDA-V: `<|eot_id|>`). */
  stop_tokens: z.array(tokenRefSchema).optional(),
  /** Tokens never predicted at masked positions (LLaDA-V's four). */
  suppress_tokens: z.array(tokenRefSchema).optional(),
  /** The end-of-turn token (LLaDA's `confidence_eos_eot_inf`). */
  eot_token: tokenRefSchema.optional(),
});

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMATS[0]),
    name: z.string().min(1),
    description: z.string().optional(),
    tokenizer: bundleFile,
    /** Optional tokenizer_config.json handed to the tokenizer. */
    tokenizer_config: bundleFile.optional(),
    chat_template: bundleFile,
    lm: z
      .object({
        contract: z.enum(LM_CONTRACTS),
        embed_graph: bundleFile,
        graph: bundleFile,
        /** Dream / Dimple: position i is predicted at i − 1. LLaDA: false. */
        shifted_logits: z.boolean(),
        /** "1d": position_ids [batch, seq]; "mrope": [3, batch, seq] (Qwen2-VL / Dimple multimodal rotary). */
        position_ids: z.enum(['1d', 'mrope']).default('1d'),
        /** How the converter stored the LM weights (informational; the graphs are self-describing). */
        weights: z.enum(['fp32', 'fp16', 'int8', 'int4']).optional(),
        /**
         * Rows per forward pass the runtime batches by default (the API's MAX_BATCH_SIZE when it is
         * not set), chosen from a measurement of this model (docs/bench): 1 where a batched pass
         * costs about as much per row as a single one, more where passes are bound by reading weights.
         */
        max_batch_size: count.optional(),
      })
      .strict(),
    sizes: sizesSchema,
    special_tokens: specialTokensSchema,
    vision: visionSectionSchema.optional(),
    audio: audioSectionSchema.optional(),
    generation: generationSectionSchema.optional(),
    /** The family's decoding defaults; absent: the engine's built-in ones. */
    decoding: decodingSectionSchema.optional(),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestSizes = z.infer<typeof sizesSchema>;
export type VisionSection = z.infer<typeof visionSectionSchema>;
export type AudioSection = z.infer<typeof audioSectionSchema>;
export type TokensPerImage = z.infer<typeof tokensPerImageSchema>;
export type DecodingSection = z.infer<typeof decodingSectionSchema>;

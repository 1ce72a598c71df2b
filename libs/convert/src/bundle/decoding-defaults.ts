/**
 * Each family's upstream decoding defaults, written into the bundle manifest's `decoding`
 * section by `unmask convert`: what the papers' own code uses when a request names nothing
 * (docs/decoding.md has the table with every value's file and function). Token strings are
 * resolved against the checkpoint's tokenizer; one it lacks is left out and said in the notes.
 */
import type { DecodingSection, TextTokenizer } from '@unmask/core';

export const DECODING_FAMILIES = ['llada', 'dream', 'dimple', 'llada-v', 'diffa'] as const;
export type DecodingFamily = (typeof DECODING_FAMILIES)[number];

/** Fast-dLLM's parallel rules (NVlabs/Fast-dLLM llada/generate.py, dream/eval.py: threshold 0.9, blocks of 32). */
const FAST_DLLM = {
  threshold: { threshold: 0.9, block_length: 32 },
  factor: { factor: 1, block_length: 32 },
} as const;

export const FAMILY_DECODING: Readonly<Record<DecodingFamily, DecodingSection>> = {
  llada: {
    family: 'llada',
    source:
      'ML-GSAI/LLaDA@b7e6c35 generate.py: generate() as main() calls it (steps = gen_length = 128, block_length 32, temperature 0, cfg_scale 0, low_confidence remasking, no EOS fill)',
    strategy: 'low_confidence',
    parameters: {
      low_confidence: { block_length: 32, remasking: 'low_confidence' },
      prophet: { block_length: 32 },
      ...FAST_DLLM,
    },
    options: { eos_fill: false, use_original_confidence: true, keep_mask_logit: true },
    sampling: { temperature: 0 },
    max_tokens: 128,
    eot_token: '<|eot_id|>',
  },
  dream: {
    family: 'dream',
    source:
      'DreamLM/Dream@fac0a7f README.md: diffusion_generate(max_new_tokens=512, steps=512, temperature=0.2, top_p=0.95, alg="entropy", alg_temp=0.); Fast-dLLM@24cc59e dream/model/generation_utils_block.py for threshold',
    strategy: 'dream',
    parameters: {
      dream: { alg: 'entropy', alg_temp: 0, eps: 1e-3 },
      threshold: { ...FAST_DLLM.threshold, commit_block_start: true },
      factor: { ...FAST_DLLM.factor, commit_block_start: true },
    },
    options: { eos_fill: false, use_original_confidence: false, keep_mask_logit: true },
    sampling: { temperature: 0.2, top_p: 0.95 },
    max_tokens: 512,
  },
  dimple: {
    family: 'dimple',
    source:
      'yu-rp/Dimple@848f132 ReadMe.md: diffusion_generate(max_new_tokens=64, steps=64, temperature=0.2, top_p=0.95, alg="origin", use_cache=True, alg_p_threshold=0.95, use_original_confidence=True, decoding_pipeline="dim")',
    strategy: 'confident',
    parameters: { confident: { threshold: 0.95, alg: 'origin', eps: 1e-3 } },
    options: { eos_fill: false, use_original_confidence: true, keep_mask_logit: true },
    sampling: { temperature: 0.2, top_p: 0.95 },
    max_tokens: 64,
    cache: 'prefix',
  },
  'llada-v': {
    family: 'llada-v',
    source:
      'ML-GSAI/LLaDA-V@2252769 train/generate_demo.py and modeling_llada.py: generate_with_embeds(steps=128, gen_length=128, block_length=128, stopping_criteria=["<|eot_id|>"]); logits of 126081, 126080, 126346, 126347 set to -inf at masked positions',
    strategy: 'low_confidence',
    parameters: { low_confidence: { block_length: 128, remasking: 'low_confidence' } },
    options: { eos_fill: false, use_original_confidence: true, keep_mask_logit: true },
    sampling: { temperature: 0 },
    max_tokens: 128,
    stop_tokens: ['<|eot_id|>'],
    suppress_tokens: ['<|endoftext|>', '<|startoftext|>', '<|start_header_id|>', '<|end_header_id|>'],
    eot_token: '<|eot_id|>',
  },
  diffa: {
    family: 'diffa',
    source:
      'NKU-HLT/DIFFA@d018b0e src/modeling_DIFFA.py: DIFFA.generate defaults (steps 128, block_length 32, max_new_tokens 128, temperature 0, cfg_scale 0, low_confidence remasking) over src/llm_generate.py: generate',
    strategy: 'low_confidence',
    parameters: { low_confidence: { block_length: 32, remasking: 'low_confidence' } },
    options: { eos_fill: false, use_original_confidence: true, keep_mask_logit: true },
    sampling: { temperature: 0 },
    max_tokens: 128,
    eot_token: '<|eot_id|>',
  },
};

export interface FamilyDecoding {
  readonly section: DecodingSection;
  /** Tokens of the table the tokenizer lacks (left out of the section). */
  readonly notes: readonly string[];
}

/** The family's section with its tokens checked against the tokenizer. */
export function familyDecoding(family: DecodingFamily, tokenizer: TextTokenizer): FamilyDecoding {
  const table = FAMILY_DECODING[family];
  const notes: string[] = [];
  const known = (field: string) => (token: unknown) => {
    if (typeof token !== 'string' || tokenizer.tokenToId(token) !== undefined) return true;
    notes.push(`decoding.${field}: the tokenizer has no ${JSON.stringify(token)}; left out`);
    return false;
  };
  const { stop_tokens, suppress_tokens, eot_token, ...rest } = table;
  const stop = stop_tokens?.filter(known('stop_tokens'));
  const suppress = suppress_tokens?.filter(known('suppress_tokens'));
  const section: DecodingSection = {
    ...rest,
    ...(stop && stop.length > 0 ? { stop_tokens: stop } : {}),
    ...(suppress && suppress.length > 0 ? { suppress_tokens: suppress } : {}),
    ...(eot_token !== undefined && known('eot_token')(eot_token) ? { eot_token } : {}),
  };
  return { section, notes };
}

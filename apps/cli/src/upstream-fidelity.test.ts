/**
 * Proof against the upstream code: tiny checkpoints in the real LLaDA and Dream layouts are
 * converted with `unmask convert` (convertModel), and every case the papers' own decoding
 * functions produced on them (test-fixtures/upstream) runs through `Unmask` as users call it.
 * The whole answer canvas must equal upstream's output ids and the forward passes its model calls.
 *
 * `upstreamRequest` is the specification of how an upstream call translates to an unmask request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertModel } from '@unmask/convert';
import { type AskRequest, Unmask } from '@unmask/pipeline';

const FIXTURES = fileURLToPath(new URL('../test-fixtures/upstream/', import.meta.url));

/** The keyword arguments of the upstream calls (null = None). */
interface UpstreamKwargs {
  readonly steps: number;
  readonly gen_length?: number;
  readonly max_new_tokens?: number;
  readonly block_length?: number;
  readonly temperature?: number;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly cfg_scale?: number;
  readonly remasking?: 'low_confidence' | 'random';
  readonly threshold?: number | null;
  readonly factor?: number | null;
  readonly alg?: 'origin' | 'maskgit_plus' | 'topk_margin' | 'entropy' | 'confidence_threshold';
  readonly alg_temp?: number | null;
  readonly eps?: number;
  readonly dual_cache?: boolean;
  readonly alg_p_threshold?: number | null;
  readonly use_original_confidence?: boolean;
  readonly use_cache?: boolean;
  readonly logits_eos_inf?: boolean;
  readonly confidence_eos_eot_inf?: boolean;
  readonly analyze_gap?: boolean;
  readonly answer_start_pos?: number;
  readonly early_exit_thresholds?: { early: number; mid: number; late: number } | null;
  readonly stopping_criteria?: string[];
}

interface UpstreamCase {
  readonly id: string;
  readonly family: string;
  readonly checkpoint: 'llada' | 'dream';
  readonly upstream: { repo: string; commit: string; path: string; function: string; kwargs: UpstreamKwargs };
  readonly prompt_ids: number[];
  readonly prompt_text: string;
  readonly output_ids: number[];
  readonly answer_text: string;
  readonly forward_passes: number;
  /** Set where upstream returns the answer cut before its stop token (LLaDA-V) rather than the whole canvas. */
  readonly output_kind?: string;
}

function readCases(file: string): UpstreamCase[] {
  const path = join(FIXTURES, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as UpstreamCase);
}

const CACHE_OF: Record<string, AskRequest['cache']> = {
  generate: 'none',
  generate_with_prefix_cache: 'prefix',
  generate_with_dual_cache: 'dual',
};

/** LLaDA-V's generate_with_embeds sets these to −∞ at masked positions (126081, 126080, 126346, 126347 in LLaDA-8B). */
const LLADA_V_SUPPRESSED = ['<|endoftext|>', '<|startoftext|>', '<|start_header_id|>', '<|end_header_id|>'];

/**
 * The unmask request that does what the upstream call did (no EOS fill: upstream decodes past
 * EOS; the mask token's logit kept in the softmax). `id` turns a token string into the bundle's id.
 */
export function upstreamRequest(c: UpstreamCase, id: (token: string) => number): Omit<AskRequest, 'prompt'> {
  const k = c.upstream.kwargs;
  const fn = c.upstream.function;
  // None upstream is "off" here (top_p 1, top_k 0), over the bundle's family defaults.
  const sampling = { temperature: k.temperature ?? 0, top_p: k.top_p ?? 1, top_k: k.top_k ?? 0 };
  const common = { eos_fill: false, keep_mask_logit: true, ...(k.cfg_scale ? { cfg_scale: k.cfg_scale } : {}) };
  if (fn.startsWith('DreamGenerationMixin') && c.upstream.path.endsWith('generation_utils_block.py')) {
    // Fast-dLLM's block-wise Dream: the first position of each block commits at the cache-building pass.
    const blockwise = { block_length: k.block_length, commit_block_start: true, use_original_confidence: false };
    return {
      maxTokens: k.max_new_tokens,
      cache: k.dual_cache ? 'dual' : 'prefix',
      sampling,
      strategy:
        k.alg === 'confidence_threshold'
          ? { name: 'threshold', threshold: k.threshold, ...blockwise, ...common }
          : {
              name: 'dream',
              steps: k.steps,
              eps: k.eps ?? 1e-3,
              // its non-threshold path ranks by entropy whatever `alg` says (sample_tokens(..., neg_entropy=True))
              alg: 'entropy',
              alg_temp: k.alg_temp ?? 0,
              ...blockwise,
              ...common,
            },
    };
  }
  if (fn.startsWith('DreamGenerationMixin')) {
    return {
      maxTokens: k.max_new_tokens,
      cache: 'none',
      sampling,
      strategy: {
        name: 'dream',
        steps: k.steps,
        eps: k.eps,
        alg: k.alg,
        alg_temp: k.alg_temp ?? 0,
        use_original_confidence: false,
        ...common,
      },
    };
  }
  if (fn.startsWith('DimpleGenerationMixin')) {
    return {
      maxTokens: k.max_new_tokens,
      cache: k.use_cache ? 'prefix' : 'none',
      sampling,
      strategy: {
        name: 'confident',
        threshold: k.alg_p_threshold ?? 1, // none: no confidence passes, the schedule alone
        steps: k.steps,
        eps: k.eps,
        alg: k.alg,
        alg_temp: k.alg_temp ?? 0,
        use_original_confidence: k.use_original_confidence ?? true,
        ...common,
      },
    };
  }
  // LLaDA's generate, Fast-dLLM's three LLaDA functions, Prophet's generate, LLaDA-V's generate_with_embeds
  const base = { block_length: k.block_length, ...common };
  if (fn === 'LLaDAModelLM.generate_with_embeds') {
    const strategy = {
      name: 'low_confidence',
      steps: k.steps,
      remasking: k.remasking,
      suppress_tokens: LLADA_V_SUPPRESSED.map(id),
      ...(k.stopping_criteria ? { stop_tokens: k.stopping_criteria.map(id) } : {}),
      ...base,
    };
    return { maxTokens: k.gen_length, cache: 'none', sampling, strategy };
  }
  let strategy: Record<string, unknown>;
  if (k.threshold != null) strategy = { name: 'threshold', threshold: k.threshold, ...base };
  else if (k.factor != null) strategy = { name: 'factor', factor: k.factor, ...base };
  else if (k.analyze_gap) {
    const thresholds = k.early_exit_thresholds ?? { early: 7.5, mid: 5, late: 2.5 };
    strategy = {
      name: 'prophet',
      steps: k.steps,
      remasking: k.remasking,
      early_commit: {
        thresholds: [thresholds.early, thresholds.mid, thresholds.late],
        boundaries: [0.33, 0.67],
        answer_start: (k.answer_start_pos as number) - c.prompt_ids.length,
        answer_length: 5,
      },
      ...base,
    };
  } else
    strategy = {
      name: 'low_confidence',
      steps: k.steps,
      remasking: k.remasking,
      ...(k.logits_eos_inf ? { logits_eos_inf: true } : {}),
      ...(k.confidence_eos_eot_inf ? { confidence_eos_eot_inf: true } : {}),
      ...base,
    };
  return { maxTokens: k.gen_length, cache: CACHE_OF[fn] ?? 'none', sampling, strategy };
}

const CASES = [...readCases('cases.jsonl'), ...readCases('cases-extra.jsonl')];

describe('upstream decoding, reproduced token for token (test-fixtures/upstream)', () => {
  const bundles = mkdtempSync(join(tmpdir(), 'unmask-upstream-'));
  const models = new Map<string, Unmask>();

  before(async () => {
    for (const checkpoint of ['llada', 'dream']) {
      convertModel({ from: join(FIXTURES, checkpoint), to: join(bundles, checkpoint) });
      models.set(checkpoint, await Unmask.load(join(bundles, checkpoint)));
    }
  });
  after(async () => {
    for (const model of models.values()) await model.close();
    rmSync(bundles, { recursive: true, force: true });
  });

  it('has the shared fixtures’ 88 cases of every family', () => {
    const families = new Set(readCases('cases.jsonl').map((c) => c.family));
    assert.equal(readCases('cases.jsonl').length, 88);
    assert.deepEqual([...families].sort(), [
      'dimple',
      'dream',
      'fastdllm-cache',
      'fastdllm-dream',
      'fastdllm-factor',
      'fastdllm-threshold',
      'llada',
      'llada-cfg',
    ]);
  });

  it('writes each family’s upstream decoding defaults into the converted bundles', () => {
    assert.equal(models.get('llada')?.bundle.manifest.decoding?.family, 'llada');
    assert.equal(models.get('dream')?.bundle.manifest.decoding?.family, 'dream');
  });

  it('with nothing named, a converted LLaDA bundle decodes as generate.py main() does', async () => {
    const unmask = models.get('llada') as Unmask;
    const prompt = 'tok1 tok2 tok3 tok4 tok5';
    const implicit = await unmask.ask({ prompt, maxTokens: 64 });
    const explicit = await unmask.ask({
      prompt,
      maxTokens: 64,
      sampling: { temperature: 0 },
      strategy: { name: 'low_confidence', steps: 64, block_length: 32, eos_fill: false, keep_mask_logit: true },
    });
    assert.deepEqual(implicit.canvas, explicit.canvas);
    assert.equal(implicit.forwardPasses, 64);
    const long = await unmask.ask({ prompt });
    assert.equal(long.canvas.length, 128); // gen_length 128
  });

  it('with nothing named, a converted Dream bundle decodes as its README does (temperature 0.2, top-p 0.95, entropy)', async () => {
    const unmask = models.get('dream') as Unmask;
    const prompt = 'tok1 tok2 tok3 tok4 tok5';
    const implicit = await unmask.ask({ prompt, maxTokens: 16, sampling: { seed: 7 } });
    const explicit = await unmask.ask({
      prompt,
      maxTokens: 16,
      sampling: { temperature: 0.2, top_p: 0.95, seed: 7 },
      strategy: {
        name: 'dream',
        alg: 'entropy',
        eps: 1e-3,
        eos_fill: false,
        use_original_confidence: false,
        keep_mask_logit: true,
      },
    });
    assert.deepEqual(implicit.canvas, explicit.canvas);
    assert.equal(implicit.forwardPasses, 16); // steps = max_new_tokens, every step run
  });

  for (const c of CASES) {
    it(`${c.id}: ${c.upstream.function} ${JSON.stringify(c.upstream.kwargs).slice(0, 160)}`, async () => {
      const unmask = models.get(c.checkpoint) as Unmask;
      assert.deepEqual(unmask.bundle.tokenizer.encode(c.prompt_text), c.prompt_ids);
      const id = (token: string) => unmask.bundle.tokenizer.tokenToId(token) as number;
      const result = await unmask.ask({ prompt: c.prompt_text, ...upstreamRequest(c, id) });
      assert.equal(result.promptTokens, c.prompt_ids.length);
      if (c.output_kind === undefined) assert.deepEqual(result.canvas, c.output_ids, 'output ids');
      else {
        // upstream returned the answer up to its stop token: the canvas up to there, then the stop
        assert.deepEqual(result.canvas.slice(0, c.output_ids.length), c.output_ids, 'output ids');
        const stop = result.canvas[c.output_ids.length];
        if (stop !== undefined) assert.equal(stop, id(c.upstream.kwargs.stopping_criteria?.[0] ?? ''), 'stop token');
      }
      assert.equal(result.forwardPasses, c.forward_passes, 'forward passes');
      assert.equal(result.text, c.answer_text);
    });
  }
});

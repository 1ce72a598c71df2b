/**
 * Specification of `unmask convert` on Dimple checkpoints (Dream LM with M-RoPE + Qwen2.5-VL
 * tower + MLP projector): the synthetic checkpoint of test-support/dimple-fixture.ts converts
 * into a bundle whose LM takes [3, batch, seq] positions and whose logits for a row with an image
 * match the independent PyTorch computation of test-fixtures/dimple/make-dimple-fixture.py.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Bundle, ChatTemplate, loadBundle, OnnxWorkerPool, TextTokenizer, UnmaskError } from '@unmask/core';
import { SafetensorsFile } from '@unmask/core/testing';
import { DIMPLE_FIXTURE, makeDimpleCheckpoint, type DimpleEdit } from '../../test-support/dimple-fixture.js';
import { readReference, relativeError, runGraph, TOWER_FIXTURES } from '../../test-support/tower-fixtures.js';
import { convertModel } from '../convert-model.js';
import { dimplePlan } from './dimple-config.js';

const reference = SafetensorsFile.read(join(DIMPLE_FIXTURE, 'reference.safetensors'));
const config = JSON.parse(readFileSync(join(DIMPLE_FIXTURE, 'config.json'), 'utf8')) as Record<string, unknown>;
const inputIds = reference.integers('input_ids').data;
const positions3d = reference.integers('position_ids').data; // [3, 1, S] row-major = [3, S]
const S = inputIds.length;
const IMAGE_START = inputIds.indexOf(28);
const imageEmbeds = reference.float32('image_embeds').data;
const expectedLogits = reference.float32('logits').data;
const all = Array.from({ length: S }, (_, i) => i);
const open = (dir: string) => loadBundle(dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });

/** The bundle's logits for the reference row: its ids, the image rows spliced, M-RoPE or 1-D positions. */
async function logits(bundle: Bundle, mrope: boolean): Promise<Float32Array> {
  const [row] = await bundle.model.forward([
    {
      inputIds,
      positionIds: all,
      ...(mrope ? { mropePositionIds: positions3d } : {}),
      embeddings: [{ offset: IMAGE_START, count: 35, data: imageEmbeds }],
      logitsIndices: all,
    },
  ]);
  return row!.logits;
}

describe('the Dimple config', () => {
  it('gives a Qwen2 LM with shifted logits and M-RoPE sections from rope_scaling, the tower config and the image token ids', () => {
    const plan = dimplePlan(config);
    assert.deepEqual(plan.lm.mropeSections, [2, 3, 3]);
    assert.equal(plan.lm.layout, 'qwen2');
    assert.equal(plan.lm.shiftedLogits, true);
    assert.equal(plan.lm.ropeTheta, 1000);
    assert.deepEqual([plan.vision.depth, plan.vision.out_hidden_size, plan.vision.spatial_merge_size], [2, 80, 2]);
    assert.deepEqual([plan.imageTokenId, plan.visionStartTokenId, plan.visionEndTokenId], [28, 26, 27]);
  });

  it('reads rope_parameters.mrope_section or a top-level mrope_section too, and falls back to DimpleConfig’s [16, 24, 24] with a note', () => {
    const { rope_scaling: _r, ...rest } = config;
    assert.deepEqual(dimplePlan({ ...rest, mrope_section: [4, 2, 2] }).lm.mropeSections, [4, 2, 2]);
    const newer = dimplePlan({
      ...rest,
      rope_parameters: { rope_type: 'mrope', rope_theta: 5000, mrope_section: [2, 2, 4] },
    });
    assert.deepEqual([newer.lm.mropeSections, newer.lm.ropeTheta], [[2, 2, 4], 5000]);
    const big = {
      ...rest,
      hidden_size: 3584,
      num_attention_heads: 28,
      num_key_value_heads: 4,
      intermediate_size: 18944,
    };
    const plan = dimplePlan(big);
    assert.deepEqual(plan.lm.mropeSections, [16, 24, 24]);
    assert.match(plan.notes.join(' '), /no mrope_section: DimpleConfig's default \[16,24,24\]/);
  });

  it('refuses sections that do not cover the head’s rotary frequencies, and other rotary scalings, by name', () => {
    const refused = (c: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(
        () => dimplePlan(c),
        (e) => e instanceof UnmaskError && pattern.test(e.message),
      );
    refused(
      { ...config, rope_scaling: { type: 'mrope', mrope_section: [16, 24, 24] } },
      /rope_scaling\.mrope_section: mrope_section \[16,24,24\] sums to 64, but the head size 16 has 8 rotary frequencies/,
    );
    refused({ ...config, rope_scaling: { type: 'yarn', factor: 4 } }, /rope_scaling\.type: is "yarn"/);
    refused({ ...config, vision_config: { ...(config.vision_config as object), hidden_act: 'gelu' } }, /vision_config/);
  });
});

describe('unmask convert on a Dimple checkpoint', () => {
  let work: string;
  let from: string;
  let pool: OnnxWorkerPool;
  const made: string[] = [];
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'unmask-dimple-'));
    from = makeDimpleCheckpoint();
    made.push(from);
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(async () => {
    await pool.close();
    for (const dir of [work, ...made]) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the LM with M-RoPE positions, the tower, the projector, the image pad placeholder and a grid token count', () => {
    const to = join(work, 'fp32');
    const result = convertModel({ from, to });
    assert.equal(result.family, 'dimple');
    assert.deepEqual(result.towerGraphs, ['vision.onnx', 'projector.onnx']);
    const manifest = result.manifest;
    assert.equal(manifest.lm.position_ids, 'mrope');
    assert.equal(manifest.lm.shifted_logits, true);
    assert.deepEqual(manifest.special_tokens.image, { token: '<|image_pad|>', id: 28 });
    assert.deepEqual(manifest.special_tokens.mask, { token: '<|mask|>', id: 3 });
    assert.deepEqual(manifest.vision!.tokens_per_image, { kind: 'grid', merge_size: 2 });
    const processor = manifest.vision!.processor;
    assert.equal(processor.image_processor_type, 'Qwen2VLImageProcessor');
    assert.deepEqual([processor.min_pixels, processor.max_pixels, processor.size], [3136, 1003520, undefined]);
    // The tokenizer is the checkpoint's (the image pad is its own token, nothing added).
    assert.deepEqual(
      JSON.parse(readFileSync(join(to, 'tokenizer.json'), 'utf8')),
      JSON.parse(readFileSync(join(from, 'tokenizer.json'), 'utf8')),
    );
  });

  it('renders an image part as <|vision_start|><|image_pad|><|vision_end|> before the text, and text-only messages as before', () => {
    const to = join(work, 'fp32');
    const template = ChatTemplate.fromFile(join(to, 'chat_template.jinja'));
    const tokenizer = TextTokenizer.fromFile(join(to, 'tokenizer.json'));
    const rendered = template.render(
      [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'describe this image' }] }],
      { addGenerationPrompt: true },
    );
    assert.match(
      rendered,
      /<\|im_start\|>user\n<\|vision_start\|><\|image_pad\|><\|vision_end\|>describe this image<\|im_end\|>/,
    );
    // The reference prompt is this rendering with the pad repeated per merged patch (35).
    const ids = tokenizer.encode(rendered);
    const expanded = ids.flatMap((id) => (id === 28 ? Array.from({ length: 35 }, () => 28) : [id]));
    assert.deepEqual(expanded, inputIds.slice(0, S - 4));
    const original = new ChatTemplate(
      (JSON.parse(readFileSync(join(from, 'tokenizer_config.json'), 'utf8')) as { chat_template: string })
        .chat_template,
    );
    const text = [{ role: 'user', content: 'what is the colour of the sky' }];
    assert.equal(
      template.render(text, { addGenerationPrompt: true }),
      original.render(text, { addGenerationPrompt: true }),
    );
  });

  it('its tower and projector turn the fixture’s pixel values into the reference image embeddings (1e-3 relative)', async (t) => {
    const to = join(work, 'fp32');
    const tower = readReference(join(TOWER_FIXTURES, 'qwen25vl-vision/reference.safetensors.gz'));
    const pixels = tower.get('pixel_values.0')!;
    const grid = tower.get('image_grid_thw.0')!;
    const features = await runGraph(pool, join(to, 'vision.onnx'), {
      pixel_values: { type: 'float32', dims: pixels.shape, data: pixels.data as Float32Array },
      image_grid_thw: { type: 'int64', dims: grid.shape, data: grid.data as BigInt64Array },
    });
    const embeds = await runGraph(pool, join(to, 'projector.onnx'), { image_features: features.image_features! });
    const { relative, absolute } = relativeError(embeds.image_embeds!.data as Float32Array, imageEmbeds);
    t.diagnostic(`image_embeds: max abs ${absolute.toExponential(2)}, relative ${relative.toExponential(2)}`);
    assert.ok(relative < 1e-3, `relative error ${relative}`);
  });

  it('its LM matches PyTorch on a row with an image at 3-D positions (fp32 within 1e-4 relative), and 1-D positions would not', async (t) => {
    const bundle = await open(join(work, 'fp32'));
    try {
      const mrope = relativeError(await logits(bundle, true), expectedLogits);
      const flat = relativeError(await logits(bundle, false), expectedLogits);
      t.diagnostic(
        `M-RoPE positions: max abs ${mrope.absolute.toExponential(2)}, relative ${mrope.relative.toExponential(2)}; 1-D positions instead: relative ${flat.relative.toExponential(2)}`,
      );
      assert.ok(mrope.relative < 1e-4, `relative error ${mrope.relative}`);
      assert.ok(flat.relative > 100 * Math.max(mrope.relative, 1e-6), 'the 3-D positions change the logits');
    } finally {
      await bundle.close();
    }
  });

  for (const weights of ['fp16', 'int8', 'int4'] as const) {
    it(`converts with ${weights} weights; the logits stay near the reference`, async (t) => {
      const to = join(work, weights);
      convertModel({ from, to, weights });
      const bundle = await open(to);
      try {
        const { relative } = relativeError(await logits(bundle, true), expectedLogits);
        t.diagnostic(`${weights}: relative ${relative.toExponential(2)}`);
        assert.ok(relative < (weights === 'fp16' ? 1e-2 : 0.2), `relative error ${relative}`);
      } finally {
        await bundle.close();
      }
    });
  }

  describe('refusals (nothing is written)', () => {
    const refused = (edit: DimpleEdit, pattern: RegExp, options: { ops?: 'contrib' } = {}) => {
      const dir = makeDimpleCheckpoint(edit);
      made.push(dir);
      const to = join(work, `refused-${made.length}`);
      assert.throws(
        () => convertModel({ from: dir, to, ...options }),
        (e) => e instanceof UnmaskError && pattern.test(e.message),
      );
      assert.equal(existsSync(to), false);
    };
    const drop = (name: string): DimpleEdit => ({ tensors: (t) => (t.delete(name), t) });
    const reshape = (name: string, shape: number[]): DimpleEdit => ({
      tensors: (t) => t.set(name, { dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }),
    });

    it('names a missing or misshapen tensor of the LM, the tower or the projector', () => {
      refused(
        drop('img_projector.linear_2.bias'),
        /missing tensor "img_projector\.linear_2\.bias" \(expected shape \[64\]\)/,
      );
      refused(
        reshape('img_projector.linear_1.weight', [64, 64]),
        /"img_projector\.linear_1\.weight" has shape \[64, 64\], config\.json implies \[64, 80\]/,
      );
      refused(drop('visual.blocks.1.attn.qkv.weight'), /missing tensor "visual\.blocks\.1\.attn\.qkv\.weight"/);
      refused(
        drop('model.layers.1.self_attn.q_proj.bias'),
        /missing tensor "model\.layers\.1\.self_attn\.q_proj\.bias"/,
      );
      refused(
        {
          tensors: (t) => t.set('img_projector.extra.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) }),
        },
        /img_projector\.extra\.weight/,
      );
    });

    it('names an image token id the tokenizer does not agree with, and a processor whose patches differ from the tower', () => {
      refused(
        { config: (c) => ({ ...c, image_token_id: 29 }) },
        /<\|image_pad\|> is id 28, but config\.json's image_token_id is 29/,
      );
      refused({ config: (c) => ({ ...c, image_token_id: 600 }) }, /image_token_id 600 is not a token of the tokenizer/);
      refused(
        { preprocessor: (p) => ({ ...p, merge_size: 4 }) },
        /preprocessor_config\.json: merge_size is 4, but the vision tower .* uses 2/,
      );
      refused(
        { preprocessor: (p) => ({ ...p, image_processor_type: 'SiglipImageProcessor' }) },
        /image_processor_type is "SiglipImageProcessor"/,
      );
    });
  });
});

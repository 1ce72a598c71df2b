import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Bundle, loadBundle, OnnxWorkerPool, UnmaskError } from '@unmask/core';
import { createImageProcessor, decodeImage, VisionEncoder } from '@unmask/vision';
import {
  LLAMA_CHECKPOINT,
  makeCheckpoint,
  type StoredTensor,
  writeSafetensors,
} from '../../test-support/checkpoint-fixtures.js';
import { floats, readReference, relativeError, runGraph, TOWER_FIXTURES } from '../../test-support/tower-fixtures.js';
import { CheckpointTensors } from '../checkpoint/checkpoint-tensors.js';
import { convertCheckpoint } from '../convert-checkpoint.js';
import { buildDiffaAdapterGraph } from '../towers/diffa-adapter-graph.js';
import { diffaAdapterLayout } from '../towers/diffa-adapter-layout.js';
import { buildMlpProjectorGraph, lladaVProjector } from '../towers/projector-graph.js';
import { buildSiglipGraph, parseSiglipVisionConfig } from '../towers/siglip-graph.js';
import { attachAudio, attachVision } from './tower-bundle.js';
import { buildWhisperEncoderGraph, parseWhisperEncoderConfig } from '../towers/whisper-encoder-graph.js';

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const SIGLIP = join(TOWER_FIXTURES, 'siglip');
const DIFFA = fileURLToPath(new URL('../../test-fixtures/diffa-adapter/', import.meta.url));

describe('attaching converted towers to a converted LM bundle', () => {
  let work: string;
  let pool: OnnxWorkerPool;
  let projectorCheckpoint: CheckpointTensors;
  const open: Bundle[] = [];
  const siglip = () =>
    buildSiglipGraph(
      parseSiglipVisionConfig(json(join(SIGLIP, 'checkpoint/config.json'))),
      CheckpointTensors.open(join(SIGLIP, 'checkpoint')),
    );
  const projector = () => buildMlpProjectorGraph(lladaVProjector(64, 64), projectorCheckpoint);
  // The tiny test tokenizer has no image token; <unk> stands in for one.
  const attachment = () => ({
    encoder: siglip(),
    projector: projector(),
    placeholder: '<unk>',
    tokensPerImage: { kind: 'fixed', count: 16 } as const,
    processor: json(join(SIGLIP, 'processor/preprocessor_config.json')),
  });
  const bundleDir = (name: string) => {
    const dir = join(work, name);
    convertCheckpoint({ from: LLAMA_CHECKPOINT, to: dir });
    return dir;
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'unmask-tower-bundle-'));
    pool = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 1 } });
    const random = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 0.2);
    const dir = join(work, 'projector-checkpoint');
    mkdirSync(dir);
    writeSafetensors(
      join(dir, 'model.safetensors'),
      new Map([
        ['model.mm_projector.0.weight', { dtype: 'F32', shape: [64, 64], data: random(64 * 64) }],
        ['model.mm_projector.0.bias', { dtype: 'F32', shape: [64], data: random(64) }],
        ['model.mm_projector.2.weight', { dtype: 'F32', shape: [64, 64], data: random(64 * 64).reverse() }],
        ['model.mm_projector.2.bias', { dtype: 'F32', shape: [64], data: random(64).reverse() }],
      ] as const),
    );
    projectorCheckpoint = CheckpointTensors.open(dir);
  });
  after(async () => {
    await Promise.all(open.map((b) => b.close()));
    await pool.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('adds vision.onnx, projector.onnx and the manifest’s vision section; the loaded bundle encodes an image to 16 LM-width rows', async () => {
    const dir = bundleDir('with-vision');
    attachVision(dir, attachment());
    const bundle = await loadBundle(dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    open.push(bundle);
    const section = bundle.manifest.vision!;
    assert.deepEqual(
      { graph: section.graph, projector: section.projector, placeholder: section.placeholder },
      { graph: 'vision.onnx', projector: 'projector.onnx', placeholder: '<unk>' },
    );
    assert.equal(bundle.specialTokens.image?.token, '<unk>');
    const encoder = new VisionEncoder({
      processor: createImageProcessor(section.processor),
      encoder: await bundle.openGraph(section.graph),
      projector: await bundle.openGraph(section.projector!),
    });
    const features = await encoder.encode(await decodeImage(readFileSync(join(SIGLIP, 'input.png'))));
    assert.deepEqual([features.tokens, features.hidden], [16, 64]);
    // The same as the projector run on transformers' SigLIP output.
    const path = join(work, 'projector.onnx');
    projector().write(path);
    const reference = floats(readReference(join(SIGLIP, 'reference.safetensors')), 'last_hidden_state');
    const expected = await runGraph(pool, path, {
      image_features: { type: 'float32', dims: [16, 64], data: reference },
    });
    const { relative } = relativeError(
      features.image_embeds.data as Float32Array,
      expected.image_embeds!.data as Float32Array,
    );
    assert.ok(relative < 1e-3, `relative error ${relative}`);
  });

  it('writes nothing when the preprocessor config is not one the runtime reads', () => {
    const dir = bundleDir('bad-processor');
    const before = readFileSync(join(dir, 'manifest.json'), 'utf8');
    assert.throws(
      () => attachVision(dir, { ...attachment(), processor: { image_processor_type: 'NoSuchProcessor' } }),
      UnmaskError,
    );
    assert.equal(readFileSync(join(dir, 'manifest.json'), 'utf8'), before);
    assert.equal(existsSync(join(dir, 'vision.onnx')), false);
  });

  it('writes nothing when the placeholder is not a token reference the manifest accepts', () => {
    const dir = bundleDir('bad-placeholder');
    assert.throws(
      () => attachVision(dir, { ...attachment(), placeholder: '' }),
      /manifest\.json: special_tokens\.image: /,
    );
    assert.equal(existsSync(join(dir, 'vision.onnx')), false);
  });

  it('adds audio_encoder.onnx, audio_adapter.onnx and the manifest’s audio section, which loadBundle accepts', async () => {
    const dir = bundleDir('with-audio');
    const whisper = join(TOWER_FIXTURES, 'whisper');
    const layout = { ...diffaAdapterLayout(json(join(DIFFA, 'checkpoint/config.json'))), qformerIntermediate: 32 };
    attachAudio(dir, {
      encoder: buildWhisperEncoderGraph(
        parseWhisperEncoderConfig(json(join(whisper, 'checkpoint/config.json'))),
        CheckpointTensors.open(join(whisper, 'checkpoint')),
        { hiddenStates: [0, 1, 2, 3] },
      ),
      adapter: buildDiffaAdapterGraph(layout, CheckpointTensors.open(join(DIFFA, 'checkpoint'))),
      placeholder: '<unk>',
      featureExtractor: json(join(whisper, 'feature_extractor_80/preprocessor_config.json')),
    });
    const bundle = await loadBundle(dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    open.push(bundle);
    assert.deepEqual(
      { encoder: bundle.manifest.audio!.encoder, adapter: bundle.manifest.audio!.adapter },
      { encoder: 'audio_encoder.onnx', adapter: 'audio_adapter.onnx' },
    );
    assert.equal(bundle.specialTokens.audio?.token, '<unk>');
  });

  it('converts a checkpoint that holds the LM, a SigLIP tower and a projector (LLaVA layout) when the LM conversion leaves the towers’ prefixes alone', async () => {
    const prefix = 'model.vision_tower.vision_tower.vision_model.';
    const tower = CheckpointTensors.open(join(SIGLIP, 'checkpoint'));
    const extra = new Map<string, StoredTensor>();
    for (const t of tower.tensors.values())
      extra.set(`${prefix}${t.name}`, { dtype: 'F32', shape: t.shape, data: tower.readFloat32(t.name) });
    for (const t of projectorCheckpoint.tensors.values())
      extra.set(t.name, { dtype: 'F32', shape: t.shape, data: projectorCheckpoint.readFloat32(t.name) });
    const combined = makeCheckpoint({ tensors: (lm) => new Map([...lm, ...extra]) });
    try {
      assert.throws(
        () => convertCheckpoint({ from: combined, to: join(work, 'combined-refused') }),
        /unexpected tensors "model\.vision_tower\.vision_tower\.vision_model\./,
      );
      const dir = join(work, 'combined');
      convertCheckpoint({
        from: combined,
        to: dir,
        ignoreTensorPrefixes: ['model.vision_tower.', 'model.mm_projector.'],
      });
      const checkpoint = CheckpointTensors.open(combined);
      const config = parseSiglipVisionConfig(json(join(SIGLIP, 'checkpoint/config.json')));
      attachVision(dir, {
        ...attachment(),
        encoder: buildSiglipGraph(config, checkpoint, { prefix }),
        projector: buildMlpProjectorGraph(lladaVProjector(64, 64), checkpoint),
      });
      const bundle = await loadBundle(dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
      open.push(bundle);
      const section = bundle.manifest.vision!;
      const encoder = new VisionEncoder({
        processor: createImageProcessor(section.processor),
        encoder: await bundle.openGraph(section.graph),
        projector: await bundle.openGraph(section.projector!),
      });
      const features = await encoder.encode(await decodeImage(readFileSync(join(SIGLIP, 'input.png'))));
      assert.deepEqual([features.tokens, features.hidden], [16, 64]);
    } finally {
      rmSync(combined, { recursive: true, force: true });
    }
  });
});

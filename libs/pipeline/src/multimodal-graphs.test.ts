import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadBundle, type Bundle } from '@unmask/core';
import { SafetensorsFile } from '@unmask/core/testing';
import { createImageProcessor, VisionEncoder } from '@unmask/vision';
import { AudioEncoder, whisperFeatureExtractorConfigSchema } from '@unmask/audio';

// Written by tools/train/make_multimodal_test_bundle.py from the PyTorch reference models.
const fixtures = fileURLToPath(new URL('../test-fixtures/', import.meta.url));
const bundleDir = `${fixtures}tiny-multimodal`;
const reference = SafetensorsFile.read(`${fixtures}tiny-multimodal-reference.safetensors`);

const TOLERANCE = 1e-4;

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'lengths differ');
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

describe('the tiny multimodal bundle run through @unmask/vision and @unmask/audio matches PyTorch', () => {
  let bundle: Bundle;
  before(async () => {
    bundle = await loadBundle(bundleDir, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(() => bundle.close());

  it('declares the vision graph with 9 fixed image tokens and the UnmaskImageProcessor', () => {
    const vision = bundle.manifest.vision!;
    assert.equal(vision.graph, 'vision.onnx');
    assert.deepEqual(vision.tokens_per_image, { kind: 'fixed', count: 9 });
    assert.equal(createImageProcessor(vision.processor).featureCount(96, 96), 9);
  });

  it('declares Whisper log-mel features without padding to 30 seconds', () => {
    const config = whisperFeatureExtractorConfigSchema.parse(bundle.manifest.audio!.feature_extractor);
    assert.equal(config.padding, 'longest');
    assert.equal(config.feature_size, 80);
  });

  it('vision.onnx takes pixel_values [batch, 3, 96, 96] and returns image_embeds [batch, 9, 32]', async () => {
    const graph = await bundle.openGraph(bundle.manifest.vision!.graph);
    assert.deepEqual(
      graph.inputs.map((io) => [io.name, io.dims.slice(1)]),
      [['pixel_values', [3, 96, 96]]],
    );
    assert.deepEqual(
      graph.outputs.map((io) => [io.name, io.dims.slice(1)]),
      [['image_embeds', [9, 32]]],
    );
  });

  it('preprocesses the reference image to the reference pixel_values and encodes it to the reference image_embeds', async () => {
    const section = bundle.manifest.vision!;
    const processor = createImageProcessor(section.processor);
    const rgb = reference.tensor('image.rgb');
    assert.deepEqual(rgb.shape, [96, 96, 3]);
    const image = { width: 96, height: 96, data: new Uint8Array(rgb.bytes) };

    const pixelValues = processor.preprocess(image).pixel_values;
    assert.ok(maxAbsDiff(pixelValues.data as Float32Array, reference.float32('image.pixel_values').data) < 1e-6);

    const encoder = new VisionEncoder({ processor, encoder: await bundle.openGraph(section.graph) });
    const features = await encoder.encode(image);
    const expected = reference.float32('image.image_embeds');
    assert.deepEqual([features.tokens, features.hidden], expected.shape);
    const diff = maxAbsDiff(features.image_embeds.data as Float32Array, expected.data);
    assert.ok(diff < TOLERANCE, `image_embeds differ from PyTorch by ${diff}`);
  });

  it('the audio encoder graph outputs exactly what the adapter graph takes, by name', async () => {
    const section = bundle.manifest.audio!;
    const encoder = await bundle.openGraph(section.encoder);
    const adapter = await bundle.openGraph(section.adapter);
    const names = ['last_hidden_state', 'hidden_states.1', 'hidden_states.2', 'hidden_states.3'];
    assert.deepEqual(
      encoder.inputs.map((io) => io.name),
      ['input_features'],
    );
    assert.equal(encoder.inputs[0]!.dims[1], 80);
    assert.equal(typeof encoder.inputs[0]!.dims[2], 'string', 'frames is a dynamic axis');
    assert.deepEqual(
      encoder.outputs.map((io) => io.name),
      names,
    );
    assert.deepEqual(
      adapter.inputs.map((io) => io.name),
      names,
    );
    assert.deepEqual(
      adapter.outputs.map((io) => io.name),
      ['audio_embeds'],
    );
  });

  for (const [key, frames, tokens] of [
    ['audio_a', 100, 17],
    ['audio_b', 37, 9],
  ] as const) {
    it(`encodes ${frames} frames of input_features to ${tokens} audio_embeds rows (4 acoustic + ceil(${frames} / 8) semantic) equal to PyTorch's`, async () => {
      const section = bundle.manifest.audio!;
      const audio = new AudioEncoder({
        encoder: await bundle.openGraph(section.encoder),
        adapter: await bundle.openGraph(section.adapter),
      });
      const input = reference.float32(`${key}.input_features`);
      assert.deepEqual(input.shape, [80, frames]);
      const result = await audio.encode({ input_features: input.data, dims: [80, frames] });
      const expected = reference.float32(`${key}.audio_embeds`);
      assert.deepEqual(expected.shape, [tokens, 32]);
      assert.deepEqual([result.tokens, result.hidden], [tokens, 32]);
      const diff = maxAbsDiff(result.audio_embeds, expected.data);
      assert.ok(diff < TOLERANCE, `audio_embeds differ from PyTorch by ${diff}`);
    });
  }

  it('renders multimodal content parts with one placeholder token per image or audio part', () => {
    const prompt = bundle.chatTemplate.render([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'what is the colour ?' }, { type: 'audio' }] },
      { role: 'assistant', content: 'red' },
      { role: 'user', content: 'and the sky ?' },
    ]);
    const ids = bundle.tokenizer.encode(prompt);
    const image = bundle.resolveToken(bundle.manifest.vision!.placeholder, 'vision.placeholder').id;
    const audio = bundle.resolveToken(bundle.manifest.audio!.placeholder, 'audio.placeholder').id;
    assert.equal(ids.filter((id) => id === image).length, 1);
    assert.equal(ids.filter((id) => id === audio).length, 1);
    assert.equal(
      prompt,
      '<|user|> <|image|> what is the colour ? <|audio|> <|assistant|> red <|user|> and the sky ? <|assistant|> ',
    );
  });
});

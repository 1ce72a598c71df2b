/**
 * The data generator writes what the runtime's own preprocessing produces: the trainer sees
 * the same pixel_values and input_features the served model will get.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImageProcessor, decodeImage } from '@unmask/vision';
import { float16BitsToFloat32 } from '@unmask/core';
import { renderRaster, renderSvg, Rng, sceneSchema, type ImageFormat } from '../worlds/src/index.js';
import { DEFAULT_PROCESSOR, writeImageSet } from './image-set.js';
import { writeAudioSet } from './audio-set.js';

function readNpy(path: string): { shape: number[]; bytes: Buffer } {
  const file = readFileSync(path);
  const headerLength = file.readUInt16LE(8);
  const header = file.subarray(10, 10 + headerLength).toString('latin1');
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return { shape, bytes: file.subarray(10 + headerLength) };
}

describe('image sets', () => {
  it('hold the libs/vision pixel_values of each rendered scene, with the scene and its cells', async () => {
    const out = mkdtempSync(join(tmpdir(), 'images-'));
    await writeImageSet({ count: 3, rng: new Rng(4), out });
    const { shape, bytes } = readNpy(join(out, 'pixel_values.npy'));
    assert.deepEqual(shape, [3, 3, 96, 96]);
    const lines = readFileSync(join(out, 'scenes.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    // Re-render the second scene the same way and preprocess it: the stored values match.
    const second = lines[1];
    const scene = sceneSchema.parse(second.scene);
    assert.equal(second.cells.length, 9);
    const encode = { format: second.format as ImageFormat, quality: second.quality as number };
    const encoded = second.renderer === 'svg' ? await renderSvg(scene, encode) : await renderRaster(scene, encode);
    const expected = createImageProcessor(DEFAULT_PROCESSOR).preprocess(await decodeImage(new Uint8Array(encoded)))
      .pixel_values.data as Float32Array;
    const stride = 3 * 96 * 96;
    let worst = 0;
    for (let i = 0; i < stride; i++)
      worst = Math.max(
        worst,
        Math.abs(float16BitsToFloat32(bytes.readUInt16LE((stride + i) * 2)) - (expected[i] as number)),
      );
    assert.ok(worst < 1e-3, `max abs ${worst}`); // float16 storage
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'processor.json'), 'utf8')).image_size, 96);
  });
});

describe('audio sets', () => {
  it('hold libs/audio log-mel frames per spoken clip, with the words and intents', () => {
    const out = mkdtempSync(join(tmpdir(), 'audio-'));
    writeAudioSet({ count: 2, rng: new Rng(9), out, questionShare: 0.5 });
    const frames = readNpy(join(out, 'frames.npy'));
    const counts = [frames.bytes.readInt32LE(0), frames.bytes.readInt32LE(4)];
    const features = readNpy(join(out, 'input_features.npy'));
    assert.deepEqual(features.shape, [counts[0]! + counts[1]!, 80]);
    assert.ok(
      counts.every((n) => n > 50 && n < 1000),
      `frames ${counts}`,
    ); // 0.5–10 s of speech
    const clips = readFileSync(join(out, 'clips.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const clip of clips) {
      assert.match(clip.text, /^[a-z ]+$/);
      if (clip.kind === 'command') assert.ok(clip.intent.action);
    }
  });
});

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
import { spokenEnglishSentences } from '../worlds/src/index.js';

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

  it('with `aliased`, resample that share of clips by nearest sample and mark them; the other clips are the set without it', () => {
    const plain = mkdtempSync(join(tmpdir(), 'audio-'));
    const mixed = mkdtempSync(join(tmpdir(), 'audio-'));
    writeAudioSet({ count: 4, rng: new Rng(11), out: plain });
    writeAudioSet({ count: 4, rng: new Rng(11), out: mixed, aliased: { share: 0.5, rng: new Rng(12) } });
    const clips = (dir: string) =>
      readFileSync(join(dir, 'clips.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const marked = clips(mixed).map((c) => c.resampling === 'nearest');
    assert.ok(marked.includes(true) && marked.includes(false), `marks ${marked}`);
    assert.deepEqual(
      clips(mixed).map(({ resampling: _, ...rest }) => rest),
      clips(plain),
    );
    // Each clip's rows of log-mel frames (float16, 80 bins): the unmarked clips' are the plain set's.
    const perClip = (dir: string) => {
      const counts = readNpy(join(dir, 'frames.npy')).bytes;
      const features = readNpy(join(dir, 'input_features.npy')).bytes;
      let row = 0;
      return Array.from({ length: 4 }, (_, i) => {
        const n = counts.readInt32LE(4 * i);
        const bytes = features.subarray(row * 160, (row + n) * 160);
        row += n;
        return bytes;
      });
    };
    const a = perClip(mixed);
    const b = perClip(plain);
    marked.forEach((isAliased, i) =>
      assert.equal(a[i]!.equals(b[i]!), !isAliased, `clip ${i} ${isAliased ? 'aliased' : 'as without'}`),
    );
  });

  it('with `copy`, give that share of clips an everyday English sentence to transcribe instead (kind `copy`), drawn from its own stream', () => {
    const plain = mkdtempSync(join(tmpdir(), 'audio-'));
    const mixed = mkdtempSync(join(tmpdir(), 'audio-'));
    writeAudioSet({ count: 6, rng: new Rng(11), out: plain, questionShare: 0.5 });
    writeAudioSet({
      count: 6,
      rng: new Rng(11),
      out: mixed,
      questionShare: 0.5,
      copy: { share: 0.5, rng: new Rng(25) },
    });
    const clips = (dir: string) =>
      readFileSync(join(dir, 'clips.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const english = new Set(spokenEnglishSentences());
    const mixedClips = clips(mixed);
    const first = mixedClips.findIndex((c) => c.kind === 'copy');
    assert.ok(first > 0, `the first copy clip is clip ${first}`);
    // Until the first copy clip, the set is the one without it (a copy clip's speech draws other noise after).
    assert.deepEqual(mixedClips.slice(0, first), clips(plain).slice(0, first));
    const copies = mixedClips.filter((c) => c.kind === 'copy');
    assert.ok(copies.length >= 2 && copies.length < 6, `${copies.length} copy clips`);
    for (const clip of copies) {
      assert.ok(english.has(clip.text as string), `${clip.text}`);
      assert.equal(clip.intent, undefined);
      assert.equal(clip.question, undefined);
    }
  });
});

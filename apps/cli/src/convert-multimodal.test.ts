/**
 * `unmask convert` on multimodal checkpoints, end to end: synthetic LLaDA-V and DIFFA
 * checkpoints (small fixtures and random weights, test-support/multimodal-fixtures.ts) go
 * through the CLI's convert command, the bundle is loaded with @unmask/pipeline's Unmask.load,
 * and a prompt is answered with an image or a WAV. The answers are random; the plumbing is
 * specified: placeholder expansion to the tower's token count, and that the media reach the LM.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Unmask } from '@unmask/pipeline';
import { makeDiffaCheckpoint, makeLladaVCheckpoint } from '../../../libs/convert/test-support/multimodal-fixtures.js';
import { pngOf, wavOf } from '../../../libs/pipeline/src/test-support/media.js';
import type { Io } from './ask-command.js';
import { convertCommand } from './convert-command.js';

function captureIo(): Io & { readonly out: () => string; readonly err: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) =>
    ({ isTTY: false, write: (s: string) => (append(s), true) }) as unknown as NodeJS.WriteStream;
  return { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), out: () => out, err: () => err };
}

/** Tokens of the rendered prompt, as the pipeline counts them before expanding placeholders. */
function renderedTokens(unmask: Unmask, content: unknown): number {
  const text = unmask.bundle.chatTemplate.render([{ role: 'user', content } as never]);
  return unmask.bundle.tokenizer.encode(text).length;
}

/** Logits at every prompt position for one image or sound, through the bundle's tower and LM. */
async function promptLogits(unmask: Unmask, kind: 'image' | 'audio', bytes: Uint8Array): Promise<Float32Array> {
  const { promptIds, embeddings } = await unmask.prepare({
    prompt: 'what',
    ...(kind === 'image' ? { images: [bytes] } : { audio: [bytes] }),
  });
  const positions = promptIds.map((_, i) => i);
  const [row] = await unmask.bundle.model.forward([
    { inputIds: promptIds, positionIds: positions, embeddings, logitsIndices: positions },
  ]);
  return row!.logits;
}

function relativeDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return diff / scale;
}

async function convert(from: string): Promise<{ dir: string; stderr: string }> {
  const io = captureIo();
  const code = await convertCommand(['--from', from, '--to', `${from}-bundle`], io);
  assert.equal(code, 0, io.err());
  return { dir: io.out().trim(), stderr: io.err() };
}

/** Converts the checkpoint `make` writes before the suite's tests, loads the bundle, and cleans up after. */
function convertedBundle(make: () => string): { readonly stderr: string; readonly unmask: Unmask } {
  let checkpoint = '';
  let stderr = '';
  let unmask: Unmask | undefined;
  before(async () => {
    checkpoint = make();
    const converted = await convert(checkpoint);
    stderr = converted.stderr;
    unmask = await Unmask.load(converted.dir, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(async () => {
    await unmask?.close();
    rmSync(checkpoint, { recursive: true, force: true });
    rmSync(`${checkpoint}-bundle`, { recursive: true, force: true });
  });
  return {
    get stderr() {
      return stderr;
    },
    get unmask() {
      assert.ok(unmask, 'the bundle did not load');
      return unmask;
    },
  };
}

describe('unmask convert on a LLaDA-V checkpoint (LLaDA LM + SigLIP, last layer dropped + GELU MLP projector)', () => {
  const c = convertedBundle(makeLladaVCheckpoint);

  it('reports the towers, the image placeholder it added and what the bundle leaves out', () => {
    assert.match(
      c.stderr,
      /llada-v: towers vision\.onnx, projector\.onnx; image placeholder <image> \(28\), 16 tokens per view, anyres_max_4 over 9 grids \(tokens per image from its size\)/,
    );
    assert.doesNotMatch(c.stderr, /note:/);
    assert.deepEqual(c.unmask.accepts, { images: true, audio: false });
  });

  it('expands the one <image> placeholder to the image’s anyres rows: base view, unpadded 2 × 2 tiles, newlines', async () => {
    const prompt = 'what is in the picture';
    const r = await c.unmask.ask({
      prompt,
      images: [await pngOf(120, 80)],
      maxTokens: 4,
      strategy: { name: 'low_confidence' },
    });
    const rendered = renderedTokens(c.unmask, [{ type: 'image' }, { type: 'text', text: prompt }]);
    // 120×80 → 128×128 (2 × 2 tiles of 64 px, 4 × 4 cells each): 8 × 8 cells, unpadded to 6 rows of 8, + newlines.
    assert.equal(r.promptTokens, rendered - 1 + 16 + 6 * 9);
    assert.equal(r.forwardPasses, 4);
    // Text-only prompts render as the checkpoint's own template did.
    const textOnly = await c.unmask.ask({ prompt, maxTokens: 4 });
    assert.equal(textOnly.promptTokens, renderedTokens(c.unmask, prompt));
  });

  it('gives different logits for different images, and the same for the same image (the features reach the LM)', async () => {
    const white = await promptLogits(c.unmask, 'image', await pngOf(64, 64, [255, 255, 255]));
    const again = await promptLogits(c.unmask, 'image', await pngOf(64, 64, [255, 255, 255]));
    const green = await promptLogits(c.unmask, 'image', await pngOf(64, 64, [30, 200, 60]));
    assert.equal(relativeDifference(white, again), 0);
    const d = relativeDifference(white, green);
    assert.ok(d > 1e-3, `relative logit difference ${d}`);
  });

  it('answers differently for different images', async () => {
    const canvases = new Set<string>();
    for (const rgb of [
      [255, 255, 255],
      [0, 0, 0],
      [30, 200, 60],
      [250, 200, 0],
    ] as [number, number, number][]) {
      const r = await c.unmask.ask({
        prompt: 'what',
        images: [await pngOf(64, 64, rgb)],
        maxTokens: 8,
        strategy: { name: 'low_confidence' },
      });
      canvases.add(r.canvas.join(','));
    }
    assert.ok(canvases.size > 1, 'the answer should depend on the image');
  });
});

describe('unmask convert on a DIFFA checkpoint (LLaDA LM + Whisper encoder + semantic and acoustic adapters)', () => {
  const c = convertedBundle(makeDiffaCheckpoint);

  it('reports the audio towers and the placeholder it added', () => {
    assert.match(
      c.stderr,
      /diffa: towers audio_encoder\.onnx, audio_adapter\.onnx; audio placeholder <\|diffa_audio\|> \(28\)/,
    );
    assert.deepEqual(c.unmask.accepts, { images: false, audio: true });
  });

  // feature_frames = ceil(samples / 160); encoder length (f − 1) / 2 + 1, cut to a multiple of 4,
  // stride-4 conv: 1 s → 100 frames → 50 → 48 → 12 semantic tokens; 2 s → 200 → 100 → 25. Plus 4 queries.
  for (const [seconds, tokens] of [
    [1, 16],
    [2, 29],
  ] as const) {
    it(`expands the audio placeholder after "This is the audio:" to ${tokens} tokens for ${seconds} s (4 acoustic + semantic tokens of the real audio length)`, async () => {
      const prompt = 'what is said';
      const r = await c.unmask.ask({
        prompt,
        audio: [wavOf(seconds)],
        maxTokens: 4,
        strategy: { name: 'low_confidence' },
      });
      assert.equal(
        r.promptTokens,
        renderedTokens(c.unmask, [{ type: 'audio' }, { type: 'text', text: prompt }]) - 1 + tokens,
      );
      assert.equal(r.forwardPasses, 4);
    });
  }

  it('gives different logits for different sounds, and the same for the same sound (the features reach the LM)', async () => {
    const low = await promptLogits(c.unmask, 'audio', wavOf(1, 16000, 220));
    const again = await promptLogits(c.unmask, 'audio', wavOf(1, 16000, 220));
    const high = await promptLogits(c.unmask, 'audio', wavOf(1, 16000, 3000));
    assert.equal(relativeDifference(low, again), 0);
    const d = relativeDifference(low, high);
    assert.ok(d > 1e-3, `relative logit difference ${d}`);
  });
});

/**
 * LLaDA-V's anyres images, faithful to its own code: a LLaDA-V checkpoint at toy width (the
 * SigLIP, projector and image_newline that ML-GSAI/LLaDA-V's `prepare_inputs_labels_for_multimodal`
 * ran on, libs/convert/test-fixtures/llada-v-anyres/README.md) goes through `unmask convert`;
 * the bundle's image rows, computed by @unmask/pipeline from the PNG, must equal the rows
 * upstream put in the prompt for the same image: the count from the size alone, every value of
 * one small case, each row's sum and sum of squares for the others (square, wide, tall, huge,
 * panorama…).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { SafetensorsFile } from '@unmask/core/testing';
import { ImageTower, Unmask } from '@unmask/pipeline';
import {
  LLADA_V_ANYRES_FIXTURE,
  makeLladaVAnyresCheckpoint,
} from '../../../libs/convert/test-support/multimodal-fixtures.js';
import { anyresPattern } from '../../../libs/vision/src/test-support/anyres-pattern.js';
import type { Io } from './ask-command.js';
import { convertCommand } from './convert-command.js';

interface UpstreamCase {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly grid: [number, number];
  readonly views: number;
  readonly rows: number;
}

const upstream = JSON.parse(readFileSync(join(LLADA_V_ANYRES_FIXTURE, 'cases.json'), 'utf8')) as {
  cases: UpstreamCase[];
};
const reference = SafetensorsFile.read(join(LLADA_V_ANYRES_FIXTURE, 'upstream-rows.safetensors'));
const HIDDEN = 64;

function quietIo(): Io & { readonly out: () => string; readonly err: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) =>
    ({ isTTY: false, write: (s: string) => (append(s), true) }) as unknown as NodeJS.WriteStream;
  return { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), out: () => out, err: () => err };
}

async function pngOfPattern(width: number, height: number): Promise<Uint8Array> {
  const { data } = anyresPattern(width, height);
  return new Uint8Array(
    await sharp(Buffer.from(data), { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** max |a − b| / max(1, max |b|). */
function relativeError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe('LLaDA-V anyres images = ML-GSAI/LLaDA-V’s prepare_inputs_labels_for_multimodal (toy-width weights it ran on)', () => {
  let checkpoint = '';
  let unmask: Unmask | undefined;
  let tower: ImageTower | undefined;
  before(async () => {
    checkpoint = makeLladaVAnyresCheckpoint();
    const io = quietIo();
    assert.equal(await convertCommand(['--from', checkpoint, '--to', `${checkpoint}-bundle`], io), 0, io.err());
    unmask = await Unmask.load(`${checkpoint}-bundle`, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    tower = await ImageTower.open(unmask.bundle);
  });
  after(async () => {
    await tower?.close(); // its preprocessing thread runs from the open
    await unmask?.close();
    rmSync(checkpoint, { recursive: true, force: true });
    rmSync(`${checkpoint}-bundle`, { recursive: true, force: true });
  });

  it('the bundle declares anyres_max_4 over the 36 grids, spatial_unpad, and the checkpoint’s image_newline', () => {
    const vision = unmask!.bundle.manifest.vision!;
    const anyres = vision.anyres as { image_grid_pinpoints: number[][] };
    assert.deepEqual(
      { ...anyres, image_grid_pinpoints: anyres.image_grid_pinpoints.length },
      {
        image_aspect_ratio: 'anyres_max_4',
        image_grid_pinpoints: 36,
        mm_patch_merge_type: 'spatial_unpad',
        image_newline: 'image_newline.safetensors',
      },
    );
    assert.deepEqual(vision.tokens_per_image, { kind: 'fixed', count: 729 });
  });

  it('counts every case’s rows from its size alone, as upstream’s prompt holds them', () => {
    assert.deepEqual(
      upstream.cases.map((c) => tower!.rows(c.width, c.height)),
      upstream.cases.map((c) => c.rows),
    );
  });

  for (const c of upstream.cases) {
    it(`${c.name} ${c.width}×${c.height} (grid ${c.grid.join('×')}, ${c.views} views): ${c.rows} rows, each row’s sum and sum of squares`, async (t) => {
      const prepared = await unmask!.prepare({ prompt: 'what', images: [await pngOfPattern(c.width, c.height)] });
      const features = prepared.embeddings[0]!;
      assert.equal(features.count, c.rows);
      const sums = new Float32Array(c.rows);
      const squares = new Float32Array(c.rows);
      for (let r = 0; r < c.rows; r++) {
        let s = 0;
        let q = 0;
        for (let k = 0; k < HIDDEN; k++) {
          const v = features.data[r * HIDDEN + k]!;
          s += v;
          q += v * v;
        }
        sums[r] = s;
        squares[r] = q;
      }
      const sumError = relativeError(sums, reference.float32(`row_sums.${c.name}`).data);
      const squareError = relativeError(squares, reference.float32(`row_sq_sums.${c.name}`).data);
      t.diagnostic(
        `relative error: row sums ${sumError.toExponential(1)}, sums of squares ${squareError.toExponential(1)}`,
      );
      assert.ok(sumError < 1e-4 && squareError < 1e-4, `row sums ${sumError}, squares ${squareError}`);
      if (reference.has(`rows.${c.name}`)) {
        const error = relativeError(features.data, reference.float32(`rows.${c.name}`).data);
        t.diagnostic(`relative error of every value: ${error.toExponential(1)}`);
        assert.ok(error < 1e-5, `rows: relative error ${error}`);
      }
    });
  }

  it('the <image> placeholder takes the image’s rows in the prompt', async () => {
    const c = upstream.cases.find((x) => x.name === 'wide')!;
    const prompt = 'what is in the picture';
    const text = unmask!.bundle.chatTemplate.render([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: prompt }] } as never,
    ]);
    const rendered = unmask!.bundle.tokenizer.encode(text).length;
    const r = await unmask!.ask({
      prompt,
      images: [await pngOfPattern(c.width, c.height)],
      maxTokens: 2,
      fixedCanvas: true,
      strategy: { name: 'low_confidence' },
    });
    assert.equal(r.promptTokens, rendered - 1 + c.rows);
  });
});

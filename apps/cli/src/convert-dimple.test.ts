/**
 * `unmask convert` on a Dimple checkpoint, end to end: the synthetic Dimple checkpoint
 * (libs/convert/test-support/dimple-fixture.ts) goes through the CLI's convert command, the
 * bundle is loaded with @unmask/pipeline's Unmask.load, and an image prompt is answered. The
 * prompt the pipeline builds for the fixture's image (ids and 3-D positions) and the logits of
 * the engine's first forward pass are those of the independent PyTorch computation
 * (libs/convert/test-fixtures/dimple/make-dimple-fixture.py).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ForwardRow, ForwardRowResult } from '@unmask/core';
import { SafetensorsFile } from '@unmask/core/testing';
import { mropePositionTable, Unmask } from '@unmask/pipeline';
import {
  DIMPLE_FIXTURE,
  DIMPLE_IMAGE,
  makeDimpleCheckpoint,
} from '../../../libs/convert/test-support/dimple-fixture.js';
import type { Io } from './ask-command.js';
import { convertCommand } from './convert-command.js';

const reference = SafetensorsFile.read(join(DIMPLE_FIXTURE, 'reference.safetensors'));
const referenceIds = reference.integers('input_ids').data;
const S = referenceIds.length; // 45 prompt tokens + 4 masks
const P = S - 4;
const referencePositions = reference.integers('position_ids').data; // [3, S]
const referenceLogits = reference.float32('logits').data;
const VOCAB = 512;
const image = new Uint8Array(readFileSync(DIMPLE_IMAGE));

function relativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

/** Component c of positions[a] in a row-major [3, n] table. */
const at = (table: ArrayLike<number>, n: number, c: number, a: number) => table[c * n + a]!;

describe('a converted Dimple bundle answers an image prompt with 3-D positions', () => {
  let checkpoint = '';
  let unmask: Unmask;
  before(async () => {
    checkpoint = makeDimpleCheckpoint();
    let out = '';
    let err = '';
    const stream = (append: (s: string) => void) =>
      ({ isTTY: false, write: (s: string) => (append(s), true) }) as unknown as NodeJS.WriteStream;
    const io: Io = { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)) };
    assert.equal(await convertCommand(['--from', checkpoint, '--to', `${checkpoint}-bundle`], io), 0, err);
    unmask = await Unmask.load(out.trim(), { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(async () => {
    await unmask?.close();
    rmSync(checkpoint, { recursive: true, force: true });
    rmSync(`${checkpoint}-bundle`, { recursive: true, force: true });
  });

  it('builds the reference prompt: the image pad once per merged patch (1 × 5 × 7) and Qwen2-VL’s 3-D positions', async () => {
    const built = await unmask.prepare({ prompt: 'describe this image', images: [image] });
    // image_grid_thw 1 × 10 × 14 patches, merged 2 × 2: 35 rows.
    assert.deepEqual(
      built.embeddings.map((e) => e.count),
      [35],
    );
    assert.deepEqual(built.promptIds, referenceIds.slice(0, P));
    assert.ok(built.mropePositions);
    for (let c = 0; c < 3; c++) {
      assert.deepEqual(
        Array.from({ length: P }, (_, a) => at(built.mropePositions!, P, c, a)),
        Array.from({ length: P }, (_, a) => at(referencePositions, S, c, a)),
        `component ${c}`,
      );
    }
  });

  it('numbers a two-image prompt as the PyTorch reference does (the second image after the first’s max + 1)', () => {
    const ids = reference.integers('two_images.input_ids').data;
    const grids = reference.integers('two_images.image_grid_thw').data;
    const spans: { offset: number; count: number; grid: [number, number, number] }[] = [];
    ids.forEach((id, i) => {
      if (id !== 28) return;
      if (ids[i - 1] === 28) spans[spans.length - 1]!.count += 1;
      else
        spans.push({
          offset: i,
          count: 1,
          grid: [grids[3 * spans.length]!, grids[3 * spans.length + 1]!, grids[3 * spans.length + 2]!],
        });
    });
    assert.deepEqual(
      spans.map((s) => s.count),
      [35, 11],
    );
    assert.deepEqual(
      Array.from(mropePositionTable(ids.length, spans, 2)),
      reference.integers('two_images.position_ids').data,
    );
  });

  for (const cache of ['none', 'prefix', 'dual'] as const) {
    it(`ask() with cache ${cache}: every forward row carries the reference positions, and the first pass gives PyTorch’s logits`, async (t) => {
      const model = unmask.bundle.model;
      const forward = model.forward.bind(model);
      const seen: { rows: ForwardRow[]; results: ForwardRowResult[] }[] = [];
      model.forward = async (rows) => {
        const results = await forward(rows);
        seen.push({ rows: [...rows], results: results.map((r) => ({ ...r, logits: Float32Array.from(r.logits) })) });
        return results;
      };
      try {
        const answer = await unmask.ask({
          prompt: 'describe this image',
          images: [image],
          maxTokens: 4,
          cache,
          strategy: { name: 'low_confidence', steps: 4, block_length: 2 },
          sampling: { temperature: 0 },
        });
        assert.equal(answer.promptTokens, P);
        assert.equal(answer.forwardPasses, seen.length);
      } finally {
        model.forward = forward;
      }
      if (cache !== 'none')
        assert.ok(
          seen.some(({ rows }) => rows[0]!.past !== undefined),
          'some passes read the cache',
        );
      for (const { rows } of seen) {
        const row = rows[0]!;
        const n = row.inputIds.length;
        assert.ok(row.mropePositionIds, 'the row carries M-RoPE positions');
        Array.from(row.positionIds).forEach((absolute, i) => {
          // The reference numbers the whole prompt ++ 4 masks; the answer continues past the prompt's max.
          const expected = [0, 1, 2].map((c) => at(referencePositions, S, c, absolute));
          assert.deepEqual(
            [0, 1, 2].map((c) => at(row.mropePositionIds!, n, c, i)),
            expected,
            `position ${absolute}`,
          );
        });
      }
      // The first pass runs prompt ++ 4 masks; with shifted logits, mask a is predicted at P + a − 1.
      const first = seen[0]!;
      const indices = Array.from(first.rows[0]!.logitsIndices);
      const start = first.rows[0]!.positionIds[0]!;
      const expected = indices.flatMap((index) =>
        Array.from(referenceLogits.subarray((start + index) * VOCAB, (start + index + 1) * VOCAB)),
      );
      const relative = relativeDifference(first.results[0]!.logits, expected);
      t.diagnostic(
        `first pass, ${indices.length} positions: relative ${relative.toExponential(2)} (image through the runtime's processor, tower and projector)`,
      );
      assert.ok(relative < 1e-3, `relative difference ${relative}`);
    });
  }
});

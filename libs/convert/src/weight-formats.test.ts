/**
 * `--weights fp16 | int8 | int4` against fp32 on the bidirectional Llama and Qwen2 fixtures:
 * each format is converted, loaded with loadBundle and run on the fixture's two 19-token rows;
 * the spec prints and bounds the largest logit error relative to the largest fp32 logit, counts
 * the positions whose greedy argmax agrees with fp32, and prints each bundle's size. The bounds
 * are the values measured when this was written (docs/convert.md, "Weight formats") with a
 * margin, so a change that makes a format less faithful fails here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Bundle, loadBundle } from '@unmask/core';
import { SafetensorsFile } from '@unmask/core/testing';
import {
  LLAMA_CHECKPOINT,
  lladaConfig,
  makeCheckpoint,
  type StoredTensor,
  toLladaName,
} from '../test-support/checkpoint-fixtures.js';
import { convertCheckpoint } from './convert-checkpoint.js';
import type { WeightFormat } from './weights/weight-format.js';

const FIXTURES = fileURLToPath(new URL('../test-fixtures/', import.meta.url));
const VOCAB = 512;

/** Measured max relative errors (Llama / Qwen2), default blocks: fp16 3.7e-4 / 3.9e-4, int8 1.26e-2 / 1.43e-2, int4 8.09e-2 / 9.84e-2. */
const BOUNDS: Record<Exclude<WeightFormat, 'fp32'>, { relative: number; agreement: number }> = {
  fp16: { relative: 1e-3, agreement: 1 },
  int8: { relative: 3e-2, agreement: 0.9 },
  int4: { relative: 1.5e-1, agreement: 0.7 },
};

interface Case {
  readonly label: string;
  readonly checkpoint: string;
  readonly inputIds: number[];
  readonly batch: number;
  readonly seq: number;
}

function caseOf(label: string, fixture: string): Case {
  const ids = SafetensorsFile.read(join(FIXTURES, fixture, 'reference.safetensors')).integers('input_ids');
  const [batch, seq] = ids.shape as [number, number];
  return { label, checkpoint: join(FIXTURES, fixture, 'checkpoint'), inputIds: Array.from(ids.data), batch, seq };
}

async function logitsOf(bundle: Bundle, { inputIds, batch, seq }: Case): Promise<Float32Array> {
  const positions = Array.from({ length: seq }, (_, i) => i);
  const rows = Array.from({ length: batch }, (_, b) => ({
    inputIds: inputIds.slice(b * seq, (b + 1) * seq),
    positionIds: positions,
    logitsIndices: positions,
  }));
  const out = new Float32Array(batch * seq * VOCAB);
  (await bundle.model.forward(rows)).forEach((result, b) => out.set(result.logits, b * seq * VOCAB));
  return out;
}

function compare(actual: Float32Array, reference: Float32Array): { relative: number; agreement: number } {
  let worst = 0;
  let scale = 0;
  let agree = 0;
  const positions = reference.length / VOCAB;
  for (let p = 0; p < positions; p++) {
    let best = 0;
    let bestReference = 0;
    for (let v = 0; v < VOCAB; v++) {
      const a = actual[p * VOCAB + v]!;
      const r = reference[p * VOCAB + v]!;
      worst = Math.max(worst, Math.abs(a - r));
      scale = Math.max(scale, Math.abs(r));
      if (a > actual[p * VOCAB + best]!) best = v;
      if (r > reference[p * VOCAB + bestReference]!) bestReference = v;
    }
    if (best === bestReference) agree++;
  }
  return { relative: worst / scale, agreement: agree / positions };
}

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
}

describe('weight formats against fp32 (--weights fp16 | int8 | int4)', () => {
  const work = mkdtempSync(join(tmpdir(), 'unmask-formats-'));
  const open: Bundle[] = [];
  const temporary: string[] = [];
  const convertAndLoad = async (from: string, to: string, weights: WeightFormat, externalDataThreshold?: number) => {
    convertCheckpoint({
      from,
      to: join(work, to),
      weights,
      ...(externalDataThreshold === undefined ? {} : { externalDataThreshold }),
    });
    const bundle = await loadBundle(join(work, to), { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    open.push(bundle);
    return bundle;
  };
  after(async () => {
    await Promise.all(open.map((b) => b.close()));
    for (const dir of [work, ...temporary]) rmSync(dir, { recursive: true, force: true });
  });

  for (const testCase of [caseOf('Llama', 'llama-bidirectional'), caseOf('Qwen2', 'qwen2-bidirectional')]) {
    describe(`the ${testCase.label} fixture`, () => {
      let reference: Float32Array;
      let fp32Bytes: number;
      before(async () => {
        reference = await logitsOf(
          await convertAndLoad(testCase.checkpoint, `${testCase.label}-fp32`, 'fp32'),
          testCase,
        );
        fp32Bytes = folderBytes(join(work, `${testCase.label}-fp32`));
      });

      const measured: Partial<Record<WeightFormat, number>> = {};
      for (const format of ['fp16', 'int8', 'int4'] as const) {
        it(`${format}: logits within ${BOUNDS[format].relative} of fp32 (relative to the largest logit), greedy argmax agreeing on at least ${BOUNDS[format].agreement * 100} % of positions, a smaller bundle`, async (t) => {
          const dir = `${testCase.label}-${format}`;
          const bundle = await convertAndLoad(testCase.checkpoint, dir, format);
          assert.equal(bundle.manifest.lm.weights, format, 'the manifest records the format');
          const { relative, agreement } = compare(await logitsOf(bundle, testCase), reference);
          const bytes = folderBytes(join(work, dir));
          measured[format] = relative;
          t.diagnostic(
            `${testCase.label} ${format}: max relative logit error ${relative.toExponential(2)}, argmax agreement ${(agreement * 100).toFixed(1)} %, bundle ${(bytes / 1024).toFixed(0)} KiB (fp32 ${(fp32Bytes / 1024).toFixed(0)} KiB)`,
          );
          assert.ok(relative < BOUNDS[format].relative, `relative error ${relative}`);
          assert.ok(relative > 1e-6, 'the weights really changed format (fp32 gives 1e-7)');
          assert.ok(agreement >= BOUNDS[format].agreement, `argmax agreement ${agreement}`);
          assert.ok(
            bytes < fp32Bytes * { fp16: 0.55, int8: 0.35, int4: 0.3 }[format],
            `bundle ${bytes} bytes against fp32 ${fp32Bytes}`,
          );
        });
      }

      it('orders the formats by fidelity: fp16 closer than int8, int8 closer than int4', () => {
        assert.ok(measured.fp16! < measured.int8! && measured.int8! < measured.int4!, JSON.stringify(measured));
      });
    });
  }

  it('quantises the same weights to the same graph whatever their layout, sharding or external data (int4, LLaDA layout, 3 shards)', async () => {
    const llama = caseOf('Llama', 'llama-bidirectional');
    const llada = makeCheckpoint({
      config: lladaConfig(),
      tensors: (t) => new Map([...t].map(([name, tensor]) => [toLladaName(name), tensor])),
      shards: 3,
    });
    temporary.push(llada);
    const a = await logitsOf(await convertAndLoad(llada, 'llada-int4', 'int4', 16 * 1024), llama);
    const b = await logitsOf(await convertAndLoad(LLAMA_CHECKPOINT, 'llama-int4-again', 'int4'), llama);
    assert.ok(
      statSync(join(work, 'llada-int4', 'lm.onnx.data')).size > 0,
      'the quantised weights went to external data',
    );
    assert.deepEqual(a, b);
    assert.match(
      JSON.parse(readFileSync(join(work, 'llada-int4', 'manifest.json'), 'utf8')).description,
      /int4 weights/,
    );
  });

  it('quantises a tied LM head from the embedding: int8 logits equal those of an untied copy whose head is the embedding', async () => {
    const llama = caseOf('Llama', 'llama-bidirectional');
    const config = JSON.parse(readFileSync(join(LLAMA_CHECKPOINT, 'config.json'), 'utf8'));
    const untied = makeCheckpoint({
      tensors: (t: Map<string, StoredTensor>) => new Map(t).set('lm_head.weight', t.get('model.embed_tokens.weight')!),
    });
    const tied = makeCheckpoint({
      config: { ...config, tie_word_embeddings: true },
      tensors: (t) => new Map([...t].filter(([name]) => name !== 'lm_head.weight')),
    });
    temporary.push(untied, tied);
    const a = await logitsOf(await convertAndLoad(untied, 'untied-int8', 'int8'), llama);
    const b = await logitsOf(await convertAndLoad(tied, 'tied-int8', 'int8'), llama);
    assert.deepEqual(b, a);
  });
});

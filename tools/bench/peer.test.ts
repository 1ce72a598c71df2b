/**
 * The PyTorch peer and the counting model, on the tiny test bundle: the peer's greedy
 * fixed-step loop gives the runtime's canvases, and the counting model records what the engine
 * ran. The peer part needs /usr/bin/python3 with torch (skipped, saying so, without it).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bundle, DecodingEngine, loadBundle } from '@unmask/core';
import { CountingModel } from './counting-model.js';
import { lmCost } from './flops.js';
import { comparePeer, PYTHON, peerPrompt, peerWeightsFor, runPeer } from './peer.js';

const TINY = fileURLToPath(new URL('../../libs/core/test-fixtures/tiny-bundle', import.meta.url));
const TRAIN = fileURLToPath(new URL('../train', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe('the PyTorch peer and the counting model', () => {
  let bundle: Bundle;
  let model: CountingModel;
  before(async () => {
    bundle = await loadBundle(TINY, { poolSize: 1, sessionOptions: { intraOpNumThreads: 1 } });
    model = new CountingModel(bundle.model, lmCost(bundle.resolve('lm.onnx'), bundle.manifest.sizes));
  });
  after(() => bundle.close());

  it('compares the prompts the peer finished: latencies, speed-ups, and the canvases that differ', () => {
    const ours = [
      { ms: 10, canvas: [1, 2] },
      { ms: 20, canvas: [3, 4] },
      { ms: 30, canvas: [5, 6] },
    ];
    const result = (canvas: number[], ms: number, min_margin: number) => ({
      canvas,
      ms,
      min_margin,
      forward_passes: 2,
    });
    const out = {
      torch: '1.13',
      threads: 1,
      cut: true,
      results: [result([1, 2], 40, 0.5), result([3, 9], 60, 1e-4)],
    };
    const c = comparePeer({ kind: 'tiny' }, out, ours);
    assert.equal(c.requests, 2, 'only the finished prompts');
    assert.equal(c.oursMeanMs, 15);
    assert.equal(c.peerMeanMs, 50);
    assert.equal(c.speedupMean, 50 / 15);
    assert.equal(c.agree, 1);
    assert.equal(c.nearTies, 1);
    assert.deepEqual(c.disagreements, [{ prompt: 1, ours: [3, 4], peer: [3, 9], minMargin: 1e-4 }]);
    assert.throws(() => comparePeer({ kind: 'tiny' }, out, ours.slice(0, 1)), /answered 2 prompts, but 1 were asked/);
  });

  it('finds the peer weights: a checkpoint when one is given, the tiny builders by name, else the bundle itself', () => {
    assert.deepEqual(peerWeightsFor('tiny-random', undefined, '/b'), { kind: 'tiny' });
    assert.deepEqual(peerWeightsFor('tiny-random-multimodal', undefined, '/b'), { kind: 'tiny-multimodal' });
    assert.deepEqual(peerWeightsFor('tiny-random', '/ckpt', '/b'), { kind: 'hf', path: '/ckpt' });
    assert.deepEqual(peerWeightsFor('default', '/run/lm.pt', '/b'), { kind: 'lm-pt', path: '/run/lm.pt' });
    assert.deepEqual(peerWeightsFor('unmask-default', undefined, '/models/default'), {
      kind: 'bundle',
      dir: '/models/default',
    });
  });

  it("rebuilds the weights from the bundle: the peer decodes the runtime's canvas with no checkpoint at all", {
    skip: hasTorch ? false : `${PYTHON} has no torch`,
  }, async () => {
    const prompt = [4, 5, 30, 31, 6];
    const ours = await new DecodingEngine(bundle.model).generate({
      promptIds: prompt,
      maxTokens: 8,
      strategy: { name: 'low_confidence', steps: 8 },
    }).result;
    const peer = await runPeer(
      {
        weights: peerWeightsFor('some-bundle', undefined, TINY),
        threads: 1,
        prompts: [peerPrompt(prompt, [])],
        gen_length: 8,
        steps: 8,
        block_length: 8,
        mask_id: bundle.info.maskTokenId,
        eos_id: bundle.info.eosTokenId,
        warmup: 0,
      },
      120_000,
    );
    assert.deepEqual(peer.results[0]!.canvas, ours.canvas);
  });

  it('records one pass per engine step with its rows and FLOPs', async () => {
    const engine = new DecodingEngine(model, { maxBatchSize: 1 });
    model.take();
    const prompt = [4, 5, 20, 21, 22, 6];
    const r = await engine.generate({ promptIds: prompt, maxTokens: 8, strategy: { name: 'low_confidence', steps: 8 } })
      .result;
    const passes = model.take();
    assert.equal(passes.length, r.forwardPasses);
    const cost = lmCost(bundle.resolve('lm.onnx'), bundle.manifest.sizes);
    // Uncached: every pass computes prompt + canvas and asks for the masked positions' logits.
    assert.equal(passes[0]!.positions, prompt.length + 8);
    assert.equal(passes[0]!.flops, cost.flops(prompt.length + 8, 0, 8));
    assert.ok(passes.every((p) => p.rows === 1 && p.ms >= 0));
  });

  it("runs the reference loop on the same prompts and gives the runtime's canvases", {
    skip: hasTorch ? false : `${PYTHON} has no torch`,
  }, async () => {
    const prompts = [
      [4, 5, 30, 31, 6],
      [45, 46, 47, 48, 49, 50],
    ];
    const engine = new DecodingEngine(bundle.model);
    const ours = await Promise.all(
      prompts.map(
        (p) => engine.generate({ promptIds: p, maxTokens: 8, strategy: { name: 'low_confidence', steps: 8 } }).result,
      ),
    );
    const peer = await runPeer(
      {
        weights: { kind: 'tiny' },
        threads: 1,
        prompts: prompts.map((p) => peerPrompt(p, [])),
        gen_length: 8,
        steps: 8,
        block_length: 8,
        mask_id: bundle.info.maskTokenId,
        eos_id: bundle.info.eosTokenId,
        warmup: 1,
      },
      120_000,
    );
    assert.equal(peer.results.length, 2);
    let compared = 0;
    peer.results.forEach((r, i) => {
      if (r.min_margin < 1e-4) return; // a near-tie may round either way in float32 vs float64
      compared++;
      assert.deepEqual(r.canvas, ours[i]!.canvas);
      assert.equal(r.forward_passes, ours[i]!.forwardPasses);
      assert.ok(r.ms > 0);
    });
    assert.ok(
      compared >= 1,
      `every prompt met a near-tie (margins ${peer.results.map((r) => r.min_margin).join(', ')})`,
    );
    assert.equal(peer.threads, 1);
    assert.equal(peer.cut, false);
  });

  it('splices the same media features over the prompt as the runtime does', {
    skip: hasTorch ? false : `${PYTHON} has no torch`,
  }, async () => {
    const prompt = [4, 5, 30, 31, 6];
    const data = Float32Array.from({ length: 3 * 32 }, (_, i) => Math.sin(i * 1.7) * 2);
    const embeddings = [{ offset: 1, count: 3, data }];
    const engine = new DecodingEngine(bundle.model);
    const ours = await engine.generate({
      promptIds: prompt,
      embeddings,
      maxTokens: 8,
      strategy: { name: 'low_confidence', steps: 8 },
    }).result;
    const plain = await engine.generate({
      promptIds: prompt,
      maxTokens: 8,
      strategy: { name: 'low_confidence', steps: 8 },
    }).result;
    const job = {
      weights: { kind: 'tiny' as const },
      threads: 1,
      gen_length: 8,
      steps: 8,
      block_length: 8,
      mask_id: bundle.info.maskTokenId,
      eos_id: bundle.info.eosTokenId,
      warmup: 0,
    };
    const peer = await runPeer({ ...job, prompts: [peerPrompt(prompt, embeddings), peerPrompt(prompt, [])] }, 120_000);
    const [spliced, unspliced] = peer.results;
    if (spliced!.min_margin >= 1e-4) assert.deepEqual(spliced!.canvas, ours.canvas);
    if (unspliced!.min_margin >= 1e-4) assert.deepEqual(unspliced!.canvas, plain.canvas);
    assert.ok(spliced!.min_margin >= 1e-4, 'the spliced prompt met a near-tie; the comparison would prove nothing');
    // The features matter, so splicing in the peer is what made the canvases agree.
    assert.notDeepEqual(ours.canvas, plain.canvas);
  });

  it("loads a train_lm checkpoint (lm.pt), the default model's hook, and decodes as the runtime does", {
    skip: hasTorch ? false : `${PYTHON} has no torch`,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-lmpt-'));
    try {
      const path = join(dir, 'lm.pt');
      const script = `import sys; sys.path.insert(0, ${JSON.stringify(TRAIN)}); import torch; from make_test_bundle import tiny_model; m = tiny_model(); torch.save({"config": m.config.to_dict(), "state": m.state_dict(), "layout": "pair"}, ${JSON.stringify(path)})`;
      const made = spawnSync(PYTHON, ['-c', script], {
        env: { ...process.env, OMP_NUM_THREADS: '1' },
        encoding: 'utf8',
      });
      assert.equal(made.status, 0, made.stderr);
      const prompt = [4, 5, 30, 31, 6];
      const ours = await new DecodingEngine(bundle.model).generate({
        promptIds: prompt,
        maxTokens: 8,
        strategy: { name: 'low_confidence', steps: 8 },
      }).result;
      const peer = await runPeer(
        {
          weights: peerWeightsFor('default', path, TINY),
          threads: 1,
          prompts: [peerPrompt(prompt, [])],
          gen_length: 8,
          steps: 8,
          block_length: 8,
          mask_id: bundle.info.maskTokenId,
          eos_id: bundle.info.eosTokenId,
          warmup: 0,
        },
        120_000,
      );
      assert.ok(peer.results[0]!.min_margin >= 1e-4, 'near-tie');
      assert.deepEqual(peer.results[0]!.canvas, ours.canvas);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when the time limit stops the peer before its first prompt', {
    skip: hasTorch ? false : `${PYTHON} has no torch`,
  }, async () => {
    const job = {
      weights: { kind: 'tiny' as const },
      threads: 1,
      prompts: [peerPrompt([4, 5, 6], [])],
      gen_length: 8,
      steps: 8,
      block_length: 8,
      mask_id: 2,
      eos_id: 1,
      warmup: 1,
    };
    await assert.rejects(runPeer(job, 50), /stopped at the time limit before finishing one prompt/);
  });
});

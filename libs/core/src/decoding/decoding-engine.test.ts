/**
 * Specification of the engine around the commit rules: key/value caching plans, streaming,
 * cancellation, batching of requests of different lengths, and structure templates.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodingEngine, decode } from './decoding-engine.js';
import type { StepEvent } from './events.js';
import { DEFAULT_INFO, ScriptedModel, peaked, type Script } from '../test-support/scripted-model.js';
import { isUnmaskError } from '../errors.js';

const MASK = DEFAULT_INFO.maskTokenId;
const EOS = DEFAULT_INFO.eosTokenId;

/**
 * A context-sensitive script: each answer position predicts (token 2 + number of committed
 * answer tokens it can see to its left) — so a stale cache or a wrong position shows up as a
 * different answer. Confidence rises to the left so positions commit left to right.
 */
function countingScript(promptLength: number): Script {
  return ({ sequence, target }) => {
    let seen = 0;
    for (let p = promptLength; p < target; p++) {
      const id = sequence.get(p);
      if (id !== undefined && id !== MASK) seen += 1;
    }
    return peaked(Math.min(2 + seen, 14), 0.9 - (target - promptLength) * 0.01);
  };
}

async function collect(stream: AsyncIterable<StepEvent>): Promise<StepEvent[]> {
  const out: StepEvent[] = [];
  for await (const s of stream) out.push(s);
  return out;
}

describe('key/value caching', () => {
  const prompt = [3, 4, 5, 6];
  const request = { promptIds: prompt, maxTokens: 6, strategy: { name: 'low_confidence', block_length: 3, steps: 6 } };

  it('prefix cache: a full pass at each block start keeps the prefix; later passes run the block and the rest', async () => {
    const model = new ScriptedModel(countingScript(prompt.length));
    const result = await decode(model, { ...request, cache: 'prefix' });
    const rows = model.calls.map((c) => c[0]);
    assert.deepEqual(
      rows.map((r) => [r?.pastLength, r?.segmentLength, r?.kept]),
      [
        [0, 10, true],
        [4, 6, false],
        [4, 6, false],
        [0, 10, true],
        [7, 3, false],
        [7, 3, false],
      ],
    );
    const uncached = await decode(new ScriptedModel(countingScript(prompt.length)), { ...request, cache: 'none' });
    assert.deepEqual(result.tokenIds, uncached.tokenIds);
    assert.deepEqual(result.tokenIds, [2, 3, 4, 5, 6, 7]);
  });

  it('dual cache: later passes run only the current block, reading prefix and suffix from the cache', async () => {
    const model = new ScriptedModel(countingScript(prompt.length));
    const result = await decode(model, { ...request, cache: 'dual' });
    const rows = model.calls.map((c) => c[0]);
    assert.deepEqual(
      rows.map((r) => [r?.pastLength, r?.segmentLength]),
      [
        [0, 10],
        [7, 3],
        [7, 3],
        [0, 10],
        [7, 3],
        [7, 3],
      ],
    );
    assert.deepEqual(rows[1]?.positionIds, [4, 5, 6]);
    assert.deepEqual(rows[4]?.positionIds, [7, 8, 9]);
    assert.deepEqual(result.tokenIds, [2, 3, 4, 5, 6, 7]);
  });

  it('with shifted logits (Dream) recomputes the position before the block, which predicts its first token', async () => {
    const info = { ...DEFAULT_INFO, shiftedLogits: true };
    const model = new ScriptedModel(countingScript(prompt.length), info);
    const result = await decode(model, { ...request, cache: 'dual' });
    const rows = model.calls.map((c) => c[0]);
    assert.deepEqual(rows[1]?.positionIds, [3, 4, 5, 6]);
    assert.deepEqual(rows[1]?.logitsIndices, [1, 2]); // positions 5 and 6 predict answer positions 2 and 3 (absolute 5, 6)… shifted by one
    assert.deepEqual(result.tokenIds, [2, 3, 4, 5, 6, 7]);
  });

  it('releases every cache it created by the end of the request', async () => {
    const model = new ScriptedModel(countingScript(prompt.length));
    await decode(model, { ...request, cache: 'dual' });
    assert.ok(model.caches.length === 2 && model.caches.every((c) => c.released));
  });

  it('passes spliced embeddings only to passes whose segment covers them, re-based to the segment', async () => {
    const seen: number[][] = [];
    const model = new ScriptedModel(countingScript(prompt.length));
    const forward = model.forward.bind(model);
    model.forward = async (rows) => {
      seen.push(rows.flatMap((r) => (r.embeddings ?? []).map((e) => e.offset)));
      return forward(rows);
    };
    const data = new Float32Array(2 * DEFAULT_INFO.hiddenSize);
    await decode(model, { ...request, cache: 'prefix', embeddings: [{ offset: 1, count: 2, data }] });
    assert.deepEqual(seen, [[1], [], [], [1], [], []]);
  });
});

describe('streaming', () => {
  it('yields one event per forward pass with the committed tokens, the canvas and counts, then a result', async () => {
    const model = new ScriptedModel(countingScript(2));
    const stream = new DecodingEngine(model, { detokenize: (ids) => ids.join(' ') }).generate({
      promptIds: [8, 9],
      maxTokens: 3,
      strategy: { name: 'low_confidence' },
    });
    const steps = await collect(stream);
    assert.deepEqual(
      steps.map((s) => s.step),
      [1, 2, 3],
    );
    assert.deepEqual(steps[0]?.canvas, [2, MASK, MASK]);
    assert.deepEqual(
      steps.map((s) => s.masksRemaining),
      [2, 1, 0],
    );
    assert.deepEqual(
      steps.map((s) => s.forwardPasses),
      [1, 2, 3],
    );
    const result = await stream.result;
    assert.equal(result.text, '2 3 4');
    assert.equal(result.forwardPasses, 3);
    assert.ok(result.timings.totalMs >= result.timings.forwardMs);
  });

  it('an AbortSignal cancels between steps: the stream and the result reject, and the cache is released', async () => {
    const controller = new AbortController();
    const model = new ScriptedModel(countingScript(2));
    const stream = new DecodingEngine(model).generate({
      promptIds: [8, 9],
      maxTokens: 8,
      strategy: { name: 'low_confidence' },
      cache: 'prefix',
      signal: controller.signal,
    });
    const steps: StepEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const s of stream) {
          steps.push(s);
          if (s.step === 2) controller.abort();
        }
      })(),
      (e) => isUnmaskError(e, 'aborted'),
    );
    await assert.rejects(stream.result, (e) => isUnmaskError(e, 'aborted'));
    assert.equal(steps.length, 2);
    assert.equal(model.calls.length, 2);
    assert.ok(model.caches.every((c) => c.released));
  });

  it('an already aborted signal never reaches the model', async () => {
    const model = new ScriptedModel(countingScript(2));
    const stream = new DecodingEngine(model).generate({ promptIds: [8], maxTokens: 2, signal: AbortSignal.abort() });
    await assert.rejects(stream.result, (e) => isUnmaskError(e, 'aborted'));
    assert.equal(model.calls.length, 0);
  });

  it('a failing model rejects the requests of that batch with a runtime error', async () => {
    const model = new ScriptedModel(() => {
      throw new Error('boom');
    });
    await assert.rejects(
      decode(model, { promptIds: [8], maxTokens: 2 }),
      (e) => isUnmaskError(e, 'runtime_error') && /boom/.test(e.message),
    );
  });
});

describe('batching', () => {
  it('decodes requests of different lengths in one forward per step, each with its own strategy', async () => {
    const model = new ScriptedModel(({ target, row }) => peaked(2 + (target % 5), row === 0 ? 0.95 : 0.6));
    const engine = new DecodingEngine(model);
    const a = engine.generate({ promptIds: [8, 9], maxTokens: 4, strategy: { name: 'confident', threshold: 0.9 } });
    const b = engine.generate({ promptIds: [8, 9, 10, 11, 12], maxTokens: 3, strategy: { name: 'low_confidence' } });
    const [ra, rb] = await Promise.all([a.result, b.result]);
    assert.equal(ra.forwardPasses, 1); // everything above τ at once
    assert.equal(rb.forwardPasses, 3); // one per step
    assert.deepEqual(
      model.calls.map((c) => c.length),
      [2, 1, 1],
    ); // a leaves after step 1, b goes on alone
    assert.deepEqual(
      model.calls[0]?.map((r) => r.segmentLength),
      [6, 8],
    );
  });

  it('a request that arrives mid-run joins the batch at the next step', async () => {
    const model = new ScriptedModel(() => peaked(3, 0.6));
    const engine = new DecodingEngine(model);
    const first = engine.generate({ promptIds: [8], maxTokens: 3, strategy: { name: 'low_confidence' } });
    let second: Promise<unknown> | undefined;
    for await (const step of first) {
      if (step.step === 1)
        second = engine.generate({ promptIds: [9], maxTokens: 3, strategy: { name: 'low_confidence' } }).result;
    }
    await second;
    assert.deepEqual(
      model.calls.map((c) => c.length),
      [1, 2, 2, 1],
    );
  });

  it('never exceeds maxBatchSize rows; the rest wait their turn', async () => {
    const model = new ScriptedModel(() => peaked(3, 0.99));
    const engine = new DecodingEngine(model, { maxBatchSize: 2 });
    const runs = [1, 2, 3].map(
      (i) => engine.generate({ promptIds: [i + 5], maxTokens: 2, strategy: { name: 'confident' } }).result,
    );
    const results = await Promise.all(runs);
    assert.deepEqual(
      model.calls.map((c) => c.length),
      [2, 1],
    );
    assert.ok((results[2]?.timings.queueMs ?? -1) >= 0);
  });
});

describe('structure templates', () => {
  it('never decodes fixed tokens and asks logits only for slot positions', async () => {
    const model = new ScriptedModel(({ target }) => peaked(2 + (target % 7), 0.99));
    const result = await decode(model, {
      promptIds: [8],
      template: {
        parts: [
          { type: 'text', ids: [11, 12] },
          { type: 'slot', length: 2 },
          { type: 'text', ids: [13] },
        ],
      },
      strategy: { name: 'confident' },
    });
    assert.deepEqual(model.calls[0]?.[0]?.logitsIndices, [3, 4]);
    assert.deepEqual(result.canvas.slice(0, 2), [11, 12]);
    assert.equal(result.canvas[4], 13);
    assert.equal(result.finishReason, 'stop');
  });

  it('an EOS ends only its own slot; unused slot positions are trimmed from the result', async () => {
    // Slot 1 = positions 1..3: EOS at 2. Slot 2 = positions 5..6.
    const tokens = [0, 6, EOS, 7, 0, 8, 9];
    const model = new ScriptedModel(({ target }) => peaked(tokens[target - 1] as number, 0.99));
    const result = await decode(model, {
      promptIds: [10],
      template: {
        parts: [
          { type: 'text', ids: [11] },
          { type: 'slot', length: 3 },
          { type: 'text', ids: [12] },
          { type: 'slot', length: 2 },
        ],
      },
      strategy: { name: 'confident' },
    });
    assert.deepEqual(result.tokenIds, [11, 6, 12, 8, 9]);
    assert.deepEqual(result.canvas, [11, 6, EOS, EOS, 12, 8, 9]);
  });

  it('a template without masks finishes at once with zero forward passes', async () => {
    const model = new ScriptedModel(() => peaked(3, 0.9));
    const steps = new DecodingEngine(model).generate({
      promptIds: [8],
      template: { parts: [{ type: 'text', ids: [4, 5] }] },
    });
    assert.deepEqual(await collect(steps), []);
    const result = await steps.result;
    assert.deepEqual(result.tokenIds, [4, 5]);
    assert.equal(result.forwardPasses, 0);
    assert.equal(model.calls.length, 0);
  });
});

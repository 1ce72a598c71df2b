import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isUnmaskError } from '../errors.js';
import type { TensorData } from './graph-runner.js';
import { OnnxWorkerPool } from './worker-pool.js';

const embedGraph = fileURLToPath(new URL('../../test-fixtures/tiny-bundle/embed.onnx', import.meta.url));

const ids = (...values: number[]): TensorData => ({
  type: 'int64',
  dims: [1, values.length],
  data: BigInt64Array.from(values.map(BigInt)),
});

describe('OnnxWorkerPool', () => {
  let pool: OnnxWorkerPool;
  before(() => {
    pool = new OnnxWorkerPool({ size: 2, sessionOptions: { intraOpNumThreads: 1 } });
  });
  after(() => pool.close());

  it('reports a session’s inputs and outputs with names, element types and dims', async () => {
    const session = await pool.createSession(embedGraph);
    assert.deepEqual(session.inputs, [{ name: 'input_ids', type: 'int64', dims: ['batch', 'seq'] }]);
    assert.deepEqual(session.outputs, [{ name: 'inputs_embeds', type: 'float32', dims: ['batch', 'seq', 32] }]);
    await session.release();
  });

  it('spreads sessions over the workers and runs them concurrently with consistent results', async () => {
    const first = await pool.createSession(embedGraph);
    const second = await pool.createSession(embedGraph);
    assert.notEqual(first.workerIndex, second.workerIndex);
    const [reference] = [await first.run({ input_ids: ids(7, 8, 9) })];
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? first : second).run({ input_ids: ids(7, 8, 9) })),
    );
    for (const out of runs) assert.deepEqual(out.inputs_embeds, reference!.inputs_embeds);
    await Promise.all([first.release(), second.release()]);
  });

  it('moves the feeds to the worker when asked to transfer them', async () => {
    const session = await pool.createSession(embedGraph);
    const feed = ids(1, 2);
    const out = await session.run({ input_ids: feed }, undefined, { transferInputs: true });
    assert.deepEqual(out.inputs_embeds!.dims, [1, 2, 32]);
    assert.equal(feed.data.length, 0, 'the transferred buffer is detached');
    await session.release();
  });

  it('names the graph and the input when a feed is unknown or onnxruntime fails', async () => {
    const session = await pool.createSession(embedGraph);
    await assert.rejects(
      session.run({ ids: ids(1) }),
      (error) => isUnmaskError(error, 'invalid_parameter') && /has no input "ids"/.test(error.message),
    );
    await assert.rejects(
      session.run({ input_ids: { type: 'int64', dims: [3], data: new BigInt64Array(3) } }),
      (error) => isUnmaskError(error, 'runtime_error') && error.message.includes('embed.onnx'),
    );
    await session.release();
  });

  it('fails a graph that does not exist with invalid_bundle naming the file', async () => {
    await assert.rejects(
      pool.createSession('/nonexistent/graph.onnx'),
      (error) => isUnmaskError(error, 'invalid_bundle') && error.message.includes('/nonexistent/graph.onnx'),
    );
  });

  it('turns a worker crash into runtime_error for requests in flight and recovers', async () => {
    const session = await pool.createSession(embedGraph, { worker: 1 });
    const before = await session.run({ input_ids: ids(4, 5) });
    const generation = pool.generation(1);
    const crash = pool.simulateCrash(1);
    const inFlight = session.run({ input_ids: ids(4, 5) });
    await assert.rejects(
      crash,
      (error) => isUnmaskError(error, 'runtime_error') && /ONNX worker #1 crashed/.test(error.message),
    );
    await assert.rejects(inFlight, (error) => isUnmaskError(error, 'runtime_error'));
    assert.equal(pool.generation(1), generation + 1);
    const afterCrash = await session.run({ input_ids: ids(4, 5) });
    assert.deepEqual(afterCrash.inputs_embeds, before.inputs_embeds);
    await session.release();
  });

  it('creates sessions that do not spin when allowSpinning is false, with the same results', async () => {
    const quiet = new OnnxWorkerPool({ size: 1, sessionOptions: { intraOpNumThreads: 2, allowSpinning: false } });
    try {
      const [a, b] = await Promise.all([quiet.createSession(embedGraph), pool.createSession(embedGraph)]);
      const [x, y] = await Promise.all([a.run({ input_ids: ids(1, 2, 3) }), b.run({ input_ids: ids(1, 2, 3) })]);
      assert.deepEqual(x.inputs_embeds, y.inputs_embeds);
      await Promise.all([a.release(), b.release()]);
    } finally {
      await quiet.close();
    }
  });

  it('validates its options', () => {
    assert.throws(
      () => new OnnxWorkerPool({ size: 0 }),
      (error) => isUnmaskError(error, 'invalid_parameter'),
    );
    assert.throws(
      () => new OnnxWorkerPool({ sessionOptions: { graphOptimizationLevel: 'max' as never } }),
      (error) =>
        isUnmaskError(error, 'invalid_parameter') && /sessionOptions\.graphOptimizationLevel/.test(error.message),
    );
  });
});

describe('OnnxWorkerPool with a worker that cannot start', () => {
  it('fails requests with runtime_error and stops restarting it after repeated silent crashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-pool-'));
    const entry = join(dir, 'broken-worker.mjs');
    writeFileSync(entry, "throw new Error('this worker cannot start');\n");
    const pool = new OnnxWorkerPool({ size: 1, workerEntry: pathToFileURL(entry).href });
    try {
      assert.equal(pool.disabled.length, 0);
      const messages: string[] = [];
      for (let attempt = 0; attempt < 10 && !messages.some((m) => /not restarted/.test(m)); attempt++) {
        await assert.rejects(pool.createSession(embedGraph), (error) => {
          assert.ok(isUnmaskError(error, 'runtime_error'));
          messages.push(error.message);
          return true;
        });
      }
      assert.match(
        messages.at(-1)!,
        /ONNX worker #0 died 3 times in a row without answering \(last: this worker cannot start\); it is not restarted/,
      );
      assert.deepEqual(
        pool.disabled.map((d) => d.worker),
        [0],
        'the disabled worker is reported (readiness reads it)',
      );
    } finally {
      await pool.close();
    }
  });
});

describe('the worker threads under a plain `node --import tsx` script', () => {
  it('load the TypeScript worker and exit with the script (no close needed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unmask-pool-'));
    const script = join(dir, 'script.mts');
    const poolModule = new URL('./worker-pool.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { OnnxWorkerPool } from ${JSON.stringify(poolModule)};\n` +
        `const pool = new OnnxWorkerPool({ size: 1 });\n` +
        `const s = await pool.createSession(${JSON.stringify(embedGraph)});\n` +
        `const out = await s.run({ input_ids: { type: 'int64', dims: [1, 2], data: new BigInt64Array([1n, 2n]) } });\n` +
        `const dims: number[] = [...out.inputs_embeds!.dims];\n` +
        `console.log(JSON.stringify(dims));\n`,
    );
    const tsx = import.meta.resolve('tsx');
    const result = spawnSync(process.execPath, ['--import', tsx, script], {
      encoding: 'utf8',
      cwd: dir,
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), '[1,2,32]');
  });
});

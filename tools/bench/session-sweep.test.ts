import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recommend, sweepSessions, sweepSettings, type SweepResult } from './session-sweep.js';

const TINY = fileURLToPath(new URL('../../libs/core/test-fixtures/tiny-bundle/', import.meta.url));
const r = (label: string, p50Ms: number): SweepResult => ({ label, options: {}, runs: 10, p50Ms, p95Ms: p50Ms * 2 });

describe('the session settings sweep', () => {
  it('varies threads, optimisation level, spinning and the memory arena from the defaults', () => {
    const labels = sweepSettings(2).map((s) => s.label);
    assert.ok(labels[0]!.startsWith('defaults'));
    for (const word of ['threads 1', 'spinning', 'optimisation disabled', 'optimisation basic', 'arena off']) {
      assert.ok(
        labels.some((l) => l.includes(word)),
        word,
      );
    }
  });

  it('runs every setting on the tiny LM graph and times it', async () => {
    const manifest = JSON.parse(readFileSync(`${TINY}manifest.json`, 'utf8'));
    const settings = sweepSettings(2).slice(0, 3);
    let steps = 0;
    const results = await sweepSessions(`${TINY}lm.onnx`, manifest, 12, 4, settings, 2, 0.01, () => steps++);
    assert.equal(steps, 6);
    assert.deepEqual(
      results.map((x) => x.label),
      settings.map((s) => s.label),
    );
    for (const x of results) assert.ok(x.runs >= 6 && x.p50Ms > 0 && x.p95Ms >= x.p50Ms);
  });

  it('recommends only settings clearly faster than the defaults, fastest first', () => {
    assert.deepEqual(recommend([r('defaults', 10), r('a', 9.8), r('b', 8), r('c', 6)]), [
      'c: p50 40% below the defaults',
      'b: p50 20% below the defaults',
    ]);
    assert.match(recommend([r('defaults', 10), r('a', 9.8), r('b', 12)])[0]!, /keep onnxruntime's defaults/);
  });
});

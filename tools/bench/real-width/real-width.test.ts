/**
 * The real-width benchmark end to end at tiny widths (--tiny): a synthetic checkpoint converted
 * by `unmask convert`, the unmask engine and the PyTorch reference model on the same weights
 * (they must agree on every logit row's argmax at fp32), the report written. llama.cpp is left
 * out (it is installed by the benchmark on demand, not in tests); the GGUF writer has its own
 * tests. The PyTorch part needs /usr/bin/python3 with torch (skipped, saying so, without it).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RealWidthResult } from './result.js';

const RUN = fileURLToPath(new URL('run.ts', import.meta.url));
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe('the real-width benchmark (tiny widths)', () => {
  const out = mkdtempSync(join(tmpdir(), 'unmask-real-width-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('converts, runs unmask and PyTorch on the same weights, agrees on the argmax, and writes the report', {
    skip: !hasTorch && 'no /usr/bin/python3 with torch',
  }, () => {
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        RUN,
        '--tiny',
        '--families',
        'dream',
        '--unmask',
        'fp32',
        '--llama',
        '',
        '--torch',
        'fp32',
        '--positions',
        '16,64',
        '--runs',
        '1',
        '--threads',
        '1',
        '--batch-positions',
        '16',
        '--batch-rows',
        '2',
        '--out',
        out,
        '--work',
        join(out, 'work'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    const result = JSON.parse(readFileSync(join(out, 'real-width.json'), 'utf8')) as RealWidthResult;
    const [family] = result.families;
    assert.equal(family!.family, 'dream');
    const engine = (label: string) => family!.engines.find((e) => `${e.kind} ${e.format}` === label)!;
    const fp32 = engine('unmask fp32');
    const torch = engine('pytorch fp32');
    assert.deepEqual(
      fp32.forwards.map((f) => f.positions),
      [16, 64],
    );
    for (const f of fp32.forwards) {
      assert.ok(f.median > 0 && f.flops > 0);
      assert.equal(f.argmax.length, Math.min(32, f.positions), 'one argmax per logit row');
      assert.deepEqual(torch.forwards.find((t) => t.positions === f.positions)!.argmax, f.argmax, `S=${f.positions}`);
    }
    assert.ok(fp32.fileBytes > 0 && fp32.build!.seconds > 0, 'the bundle was built by unmask convert');
    assert.ok(fp32.steadyRss! > fp32.baselineRss!, 'resident memory is measured');
    assert.equal(fp32.batching?.[0]?.rows, 2);
    assert.ok(!existsSync(join(out, 'work', 'dream')), 'the bundles and checkpoint are removed');
    const md = readFileSync(join(out, 'real-width.md'), 'utf8');
    assert.match(md, /\| 32 \| pytorch \| fp32 \|/);
    assert.match(md, /unmask fp32 vs pytorch fp32/);
    assert.match(readFileSync(join(out, 'real-width.svg'), 'utf8'), /^<svg/);
  });
});

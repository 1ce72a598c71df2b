/**
 * The `unmask` command run as a user runs it: the real binary, the real ONNX runtime, a real
 * (tiny, randomly initialised) bundle. Answers are random; what is specified is the behaviour.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pngOf, wavOf } from '@unmask/pipeline/testing';

const BIN = fileURLToPath(new URL('../bin/unmask.mjs', import.meta.url));
const TINY = fileURLToPath(new URL('../../../libs/core/test-fixtures/tiny-bundle', import.meta.url));
const MULTIMODAL = fileURLToPath(new URL('../../../libs/pipeline/test-fixtures/tiny-multimodal', import.meta.url));

function unmask(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('unmask ask', () => {
  it('--json prints one object with text, steps, tokens and ms', () => {
    const r = unmask([
      'ask',
      '--model',
      TINY,
      '--json',
      '--max-tokens',
      '8',
      '--strategy',
      'low_confidence',
      'what color is the circle',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['ms', 'steps', 'text', 'tokens']);
    assert.equal(out.steps, 8); // one token per step unless an EOS ends the text early
    assert.equal(typeof out.text, 'string');
  });

  it('a seed makes a sampled answer reproducible', () => {
    const args = [
      'ask',
      '--model',
      TINY,
      '--json',
      '--temperature',
      '1',
      '--seed',
      '7',
      '--max-tokens',
      '8',
      'what is the answer',
    ];
    const a = JSON.parse(unmask(args).stdout);
    const b = JSON.parse(unmask(args).stdout);
    assert.equal(a.text, b.text);
  });

  it('without --json prints the answer and a summary line on stderr', () => {
    const r = unmask(['ask', '--model', TINY, '--max-tokens', '4', 'what is the answer']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^\d+ forward passes, \d+ tokens, \d+ ms$/m);
    assert.ok(!r.stdout.includes('\u001b'), 'no escape codes when stdout is not a terminal');
  });

  it('--jsonl answers one line per request in order, with an error object for a failing line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jsonl-'));
    const file = join(dir, 'requests.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ prompt: 'what is the answer', max_tokens: 4 }),
        'not json',
        JSON.stringify({ prompt: 'the sky is', image: join(dir, 'missing.png') }),
        JSON.stringify({ prompt: 'the sea is', strategy: 'confident', threshold: 2 }),
        JSON.stringify({ prompt: 'a big dog', strategy: 'low_confidence', steps: 2, max_tokens: 4 }),
      ].join('\n'),
    );
    const r = unmask(['ask', '--model', TINY, '--jsonl', file]);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 5);
    assert.equal(typeof lines[0].text, 'string');
    assert.match(lines[1].error, /line 2: not JSON/);
    assert.match(lines[2].error, /missing\.png: no such file/);
    assert.match(lines[3].error, /threshold: must be in \(0, 1\]/);
    assert.equal(lines[4].steps, 2);
    assert.equal(r.code, 1, 'a batch with failing lines exits 1');
  });

  it('explains bad flags in one line and exits 2', () => {
    const cases: [string[], RegExp][] = [
      [['ask', '--model', TINY, '--strategy', 'greedy', 'hi'], /unknown strategy "greedy"/],
      [['ask', '--model', TINY, '--max-tokens', 'ten', 'hi'], /--max-tokens expects an integer, got "ten"/],
      [
        ['ask', '--model', TINY, '--block-length', '3', '--max-tokens', '8', 'hi'],
        /block_length \(3\) must divide the answer length \(8\)/,
      ],
      [['ask', '--model', TINY, '--bogus', 'hi'], /Unknown option '--bogus'/],
      [['ask', '--model', TINY], /missing PROMPT/],
      [['ask', '--model', TINY, '--image', '/nonexistent.png', 'hi'], /this model takes no images|no such file/],
    ];
    for (const [args, pattern] of cases) {
      const r = unmask(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
    }
  });

  it('takes --image and --audio files (an image and a sound in one request)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'media-'));
    const png = join(dir, 'shapes.png');
    const wav = join(dir, 'command.wav');
    writeFileSync(png, await pngOf(120, 100));
    writeFileSync(wav, wavOf(0.8, 22050));
    const r = unmask([
      'ask',
      '--model',
      MULTIMODAL,
      '--image',
      png,
      '--audio',
      wav,
      '--json',
      '--max-tokens',
      '4',
      'answer the spoken question',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).tokens <= 4, true);
    const broken = join(dir, 'broken.png');
    writeFileSync(broken, (await pngOf(120, 100)).subarray(0, 100));
    const bad = unmask(['ask', '--model', MULTIMODAL, '--image', broken, 'what']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^unmask: .*(truncated|corrupt)/im);
  });

  it('a model folder that is not a bundle is a clear error', () => {
    const r = unmask(['ask', '--model', tmpdir(), 'hi']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /manifest\.json/);
  });

  it('--help documents every flag', () => {
    const r = unmask(['ask', '--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '--model',
      '--image',
      '--audio',
      '--strategy',
      '--threshold',
      '--steps',
      '--block-length',
      '--cache',
      '--max-tokens',
      '--seed',
      '--json',
      '--jsonl',
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });
});

describe('unmask ask with the embedded default model (no --model)', () => {
  const SAMPLES = fileURLToPath(new URL('../../demo/public/samples/', import.meta.url));

  it('answers questions about a sample image and a sample command, as the README shows', () => {
    const color = unmask(['ask', '--json', '--image', join(SAMPLES, 'shapes-2.png'), 'what color is the diamond']);
    assert.equal(color.code, 0, color.stderr);
    assert.equal(JSON.parse(color.stdout).text, 'blue');
    const lines = [
      { prompt: 'how many shapes are there', image: join(SAMPLES, 'shapes-4.png') },
      { prompt: 'what is the intent', audio: join(SAMPLES, 'command-1.wav') },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'unmask-cli-'));
    writeFileSync(join(dir, 'requests.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const batch = unmask(['ask', '--jsonl', join(dir, 'requests.jsonl')]);
    assert.equal(batch.code, 0, batch.stderr);
    const [count, intent] = batch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).text);
    assert.equal(count, '4');
    assert.deepEqual(JSON.parse(intent), { action: 'activate', object: 'lights', location: 'kitchen' });
  });
});

/**
 * `unmask convert` run as a user runs it: the real binary converts the bidirectional Llama
 * fixture, and `unmask ask` answers from the bundle it wrote (random weights: only the
 * behaviour is specified, not the text).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/unmask.mjs', import.meta.url));
const CHECKPOINT = fileURLToPath(
  new URL('../../../libs/convert/test-fixtures/llama-bidirectional/checkpoint', import.meta.url),
);

function unmask(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('unmask convert', () => {
  const work = mkdtempSync(join(tmpdir(), 'unmask-cli-convert-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('writes a bundle that unmask ask runs, reporting the architecture and special tokens', () => {
    const to = join(work, 'bundle');
    const r = unmask(['convert', '--from', CHECKPOINT, '--to', to]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), to);
    assert.match(r.stderr, /lm\.onnx: \d+ tensors written/);
    assert.match(r.stderr, /llama \(llama layout\): 2 layers, hidden 64, 4\/2 heads, vocabulary 512/);
    assert.match(r.stderr, /special tokens: mask <\|mdm_mask\|> \(3\), eos <\|endoftext\|> \(2\)/);
    for (const file of [
      'manifest.json',
      'embed.onnx',
      'lm.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
      'chat_template.jinja',
    ])
      assert.ok(existsSync(join(to, file)), file);
    const ask = unmask([
      'ask',
      '--model',
      to,
      '--json',
      '--max-tokens',
      '4',
      '--strategy',
      'low_confidence',
      'hello world',
    ]);
    assert.equal(ask.code, 0, ask.stderr);
    assert.equal(JSON.parse(ask.stdout).steps, 4);
  });

  it('writes int4 weights with --weights int4, recorded in the manifest, and the bundle answers', () => {
    const to = join(work, 'int4');
    const r = unmask(['convert', '--from', CHECKPOINT, '--to', to, '--weights', 'int4']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /MiB of int4 weights in [\d.]+ s; bundle [\d.]+ MiB on disk/);
    assert.equal(JSON.parse(readFileSync(join(to, 'manifest.json'), 'utf8')).lm.weights, 'int4');
    const ask = unmask([
      'ask',
      '--model',
      to,
      '--json',
      '--max-tokens',
      '4',
      '--strategy',
      'low_confidence',
      'hello world',
    ]);
    assert.equal(ask.code, 0, ask.stderr);
    assert.equal(JSON.parse(ask.stdout).steps, 4);
  });

  it('writes the LM layers in the operator set --ops names (recorded in the manifest’s description), and the bundle answers', () => {
    for (const ops of ['standard', 'contrib']) {
      const to = join(work, `ops-${ops}`);
      const r = unmask(['convert', '--from', CHECKPOINT, '--to', to, '--ops', ops]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        JSON.parse(readFileSync(join(to, 'manifest.json'), 'utf8')).description,
        new RegExp(`fp32 weights, ${ops} operators`),
      );
      const ask = unmask([
        'ask',
        '--model',
        to,
        '--json',
        '--max-tokens',
        '4',
        '--strategy',
        'low_confidence',
        'hello world',
      ]);
      assert.equal(ask.code, 0, ask.stderr);
      assert.equal(JSON.parse(ask.stdout).steps, 4);
    }
  });

  it('rejects missing and unknown flags and unknown weight formats (exit 2)', () => {
    const missing = unmask(['convert', '--to', join(work, 'x')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--from CHECKPOINT_DIR is required/);
    const bogus = unmask(['convert', '--from', CHECKPOINT, '--to', join(work, 'z'), '--weights', 'fp8']);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /--weights must be one of fp32, fp16, int8, int4, got "fp8"/);
    const ops = unmask(['convert', '--from', CHECKPOINT, '--to', join(work, 'y'), '--ops', 'fused']);
    assert.equal(ops.code, 2);
    assert.match(ops.stderr, /--ops must be one of standard, contrib, got "fused"/);
    const unknown = unmask(['convert', '--from', CHECKPOINT, '--to', join(work, 'w'), '--quantize']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--quantize/);
  });

  it('reports a checkpoint it cannot convert in one line (exit 1)', () => {
    const r = unmask(['convert', '--from', work, '--to', join(work, 'out')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^unmask: .*the checkpoint has no config\.json\n$/);
  });

  it('--help describes the command', () => {
    const r = unmask(['convert', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /unmask convert --from CHECKPOINT_DIR --to BUNDLE_DIR/);
  });
});

/**
 * `unmask convert`'s quantisation and batching flags: `--block-size` takes the block sizes
 * MatMulNBits has int8 kernels for, `--max-batch-size` a whole number of rows; anything else is
 * a one-line error naming the flag.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnmaskError } from '@unmask/core';
import { parseConvertArgs } from './convert-args.js';

const base = ['--from', 'ckpt', '--to', 'out'];

describe('unmask convert --block-size / --max-batch-size', () => {
  it('leaves both to the converter when not given', () => {
    const inv = parseConvertArgs(base);
    assert.equal(inv.help, false);
    if (inv.help) return;
    assert.equal(inv['block-size'], undefined);
    assert.equal(inv['max-batch-size'], undefined);
  });

  it('reads 32, 64 and 128 as block sizes and a row count as a number', () => {
    for (const size of [32, 64, 128]) {
      const inv = parseConvertArgs([
        ...base,
        '--weights',
        'int4',
        '--block-size',
        String(size),
        '--max-batch-size',
        '4',
      ]);
      if (inv.help) assert.fail('not help');
      assert.equal(inv['block-size'], size);
      assert.equal(inv['max-batch-size'], 4);
    }
  });

  it('refuses other block sizes and batch sizes that are not whole positive numbers, naming the flag', () => {
    const refused = (argv: string[], pattern: RegExp) =>
      assert.throws(
        () => parseConvertArgs([...base, ...argv]),
        (e) => e instanceof UnmaskError && pattern.test(e.message),
      );
    refused(['--block-size', '16'], /--block-size must be one of 32, 64, 128, got "16"/);
    refused(['--block-size', 'big'], /--block-size must be one of/);
    for (const bad of ['0', '2.5', 'eight', '10000'])
      refused(['--max-batch-size', bad], /--max-batch-size must be a whole number/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnmaskError } from '../errors.js';
import { parseSessionOptions, toOrtSessionOptions } from './session-options.js';

describe('session options', () => {
  it('pass through to onnxruntime unchanged when spinning is not set', () => {
    const options = parseSessionOptions({
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      enableCpuMemArena: false,
    });
    assert.deepEqual(toOrtSessionOptions(options), {
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      enableCpuMemArena: false,
    });
  });

  it('turn allowSpinning into onnxruntime’s intra- and inter-op allow_spinning config entries', () => {
    assert.deepEqual(toOrtSessionOptions(parseSessionOptions({ intraOpNumThreads: 2, allowSpinning: false })), {
      intraOpNumThreads: 2,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    assert.deepEqual(toOrtSessionOptions(parseSessionOptions({ allowSpinning: true })).extra, {
      session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '1' } },
    });
  });

  it('reject unknown keys and wrong types, naming the field', () => {
    assert.throws(
      () => parseSessionOptions({ allowSpinning: 'no' }, 'sessionOptions'),
      (e) => isUnmaskError(e, 'invalid_parameter') && /sessionOptions\.allowSpinning/.test(e.message),
    );
    assert.throws(
      () => parseSessionOptions({ spin: true }),
      (e) => isUnmaskError(e, 'invalid_parameter'),
    );
  });
});

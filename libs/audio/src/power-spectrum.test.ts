import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { PowerSpectrum } from './power-spectrum.js';

/** |DFT|² by the definition, O(n²). */
function naivePower(frame: Float64Array): Float64Array {
  const n = frame.length;
  const out = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    let re = 0,
      im = 0;
    for (let i = 0; i < n; i++) {
      re += frame[i]! * Math.cos((2 * Math.PI * i * k) / n);
      im -= frame[i]! * Math.sin((2 * Math.PI * i * k) / n);
    }
    out[k] = re * re + im * im;
  }
  return out;
}

function randomFrame(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
}

describe('PowerSpectrum: |DFT|² of a real frame over fft.js', () => {
  for (const size of [400, 512, 6, 50, 8]) {
    it(`matches the DFT definition for n = ${size} (${(size / 2) & (size / 2 - 1) ? 'Bluestein' : 'direct'} path)`, () => {
      const frame = randomFrame(size, size);
      const expected = naivePower(frame);
      const out = new Float64Array(size / 2 + 1);
      new PowerSpectrum(size).compute(frame, 0, out);
      const scale = Math.max(...expected);
      expected.forEach((e, k) => assert.ok(Math.abs(out[k]! - e) <= 1e-10 * scale, `bin ${k}: ${out[k]} vs ${e}`));
    });
  }

  it('applies the window and reads the frame at the given offset', () => {
    const signal = new Float32Array(1000).map((_, i) => Math.sin(i * 0.37) + 0.1 * Math.cos(i * 2.1));
    const window = Float64Array.from({ length: 400 }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 400));
    const out = new Float64Array(201);
    new PowerSpectrum(400, window).compute(signal, 123, out);
    const expected = naivePower(Float64Array.from({ length: 400 }, (_, i) => signal[123 + i]! * window[i]!));
    const scale = Math.max(...expected);
    expected.forEach((e, k) => assert.ok(Math.abs(out[k]! - e) <= 1e-10 * scale));
  });

  it('puts a cosine on bin 10 of 400 entirely into that bin, with power (n/2)²', () => {
    const frame = Float64Array.from({ length: 400 }, (_, i) => Math.cos((2 * Math.PI * 10 * i) / 400));
    const out = new Float64Array(201);
    new PowerSpectrum(400).compute(frame, 0, out);
    assert.ok(Math.abs(out[10]! - 200 * 200) < 1e-6);
    out.forEach((p, k) => {
      if (k !== 10) assert.ok(p < 1e-12, `bin ${k} leaks ${p}`);
    });
  });

  it('rejects odd or tiny sizes and mismatched windows', () => {
    assert.throws(
      () => new PowerSpectrum(401),
      (e) => isUnmaskError(e, 'invalid_parameter'),
    );
    assert.throws(
      () => new PowerSpectrum(2),
      (e) => isUnmaskError(e, 'invalid_parameter'),
    );
    assert.throws(
      () => new PowerSpectrum(400, new Float64Array(512)),
      (e) => isUnmaskError(e, 'invalid_parameter'),
    );
  });
});

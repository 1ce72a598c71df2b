import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnmaskError } from '@unmask/core';
import { MelFilterBank, hertzToMelSlaney, melToHertzSlaney } from './mel-filters.js';

describe('Slaney mel scale', () => {
  it('is linear below 1 kHz (200/3 Hz per mel) and logarithmic above (27 mels per factor 6.4)', () => {
    assert.equal(hertzToMelSlaney(0), 0);
    assert.ok(Math.abs(hertzToMelSlaney(200 / 3) - 1) < 1e-12);
    assert.ok(Math.abs(hertzToMelSlaney(1000) - 15) < 1e-12);
    assert.ok(Math.abs(hertzToMelSlaney(6400) - 42) < 1e-12);
    assert.ok(Math.abs(hertzToMelSlaney(8000) - 45.245640471924965) < 1e-9);
  });

  it('inverts exactly', () => {
    for (const hz of [0, 10, 500, 999.9, 1000, 1234.5, 8000, 22050]) {
      assert.ok(Math.abs(melToHertzSlaney(hertzToMelSlaney(hz)) - hz) < 1e-9 * Math.max(1, hz));
    }
  });
});

describe('MelFilterBank (Whisper: n_fft 400, 16 kHz, 0–8 kHz, Slaney-normalised)', () => {
  const bank = new MelFilterBank({ nMels: 80, nFft: 400, sampleRate: 16000, maxHz: 8000 });

  it('has n_fft/2 + 1 bins and one triangle per mel bin, peaking where its centre falls', () => {
    assert.equal(bank.bins, 201);
    assert.equal(bank.filters.length, 80);
    const step = hertzToMelSlaney(8000) / 81;
    bank.filters.forEach(({ start, weights }, m) => {
      assert.ok(weights.length > 0, `filter ${m} is empty`);
      assert.ok(weights.every((w) => w > 0));
      let peak = 0;
      weights.forEach((w, i) => {
        if (w > weights[peak]!) peak = i;
      });
      const centreHz = melToHertzSlaney(step * (m + 1));
      assert.ok(
        Math.abs((start + peak) * 40 - centreHz) <= 40,
        `filter ${m} peaks at bin ${start + peak}, centre ${centreHz} Hz`,
      );
      // Rising then falling.
      for (let i = 1; i <= peak; i++) assert.ok(weights[i]! >= weights[i - 1]!);
      for (let i = peak + 1; i < weights.length; i++) assert.ok(weights[i]! <= weights[i - 1]!);
    });
  });

  it('scales each triangle by 2 / its width, so the wide upper triangles sum to 1 ± 2 % over their 40 Hz bins', () => {
    const step = hertzToMelSlaney(8000) / 81;
    for (let m = 45; m < 80; m++) {
      const width = melToHertzSlaney(step * (m + 2)) - melToHertzSlaney(step * m);
      const { weights } = bank.filters[m]!;
      const peakHeight = Math.max(...weights);
      assert.ok(peakHeight <= 2 / width + 1e-15, `filter ${m} exceeds its Slaney height`);
      const area = weights.reduce((a, b) => a + b, 0) * 40;
      assert.ok(Math.abs(area - 1) < 0.02, `filter ${m} area ${area}`);
    }
  });

  it('applies sparsely exactly as the dense [bins, mels] matrix does', () => {
    const power = Float64Array.from({ length: 201 }, (_, k) => Math.abs(Math.sin(k * 1.3)) * 10);
    const sparse = new Float64Array(80);
    bank.apply(power, sparse);
    const dense = bank.dense();
    for (let m = 0; m < 80; m++) {
      let expected = 0;
      for (let k = 0; k < 201; k++) expected += dense[k * 80 + m]! * power[k]!;
      assert.ok(Math.abs(sparse[m]! - expected) <= 1e-12 * Math.abs(expected));
    }
  });

  it('rejects impossible settings', () => {
    assert.throws(
      () => new MelFilterBank({ nMels: 0, nFft: 400, sampleRate: 16000 }),
      (e) => isUnmaskError(e, 'invalid_parameter'),
    );
    assert.throws(
      () => new MelFilterBank({ nMels: 80, nFft: 400, sampleRate: 16000, maxHz: 9000 }),
      (e) => isUnmaskError(e, 'invalid_parameter'),
    );
  });
});

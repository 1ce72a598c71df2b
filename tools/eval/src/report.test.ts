import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barValue } from './report.js';

describe('the report’s bar values', () => {
  const bar = (name: string, value: number) => ({ name, value, target: '', pass: true });

  it('prints shares as percentages, task types named "count_…" included', () => {
    assert.equal(barValue(bar('shapes: count_all', 1)), '100.0%');
    assert.equal(barValue(bar('shapes: count_color', 0.958)), '95.8%');
  });

  it('prints counts as counts, ratios and points with two decimals', () => {
    assert.equal(barValue(bar('in-scope prompts refused (both sets, count)', 742)), '742');
    assert.equal(barValue(bar('forward passes per answer / answer length (τ 0.9)', 0.1667)), '0.17');
    assert.equal(barValue(bar('accuracy drop of τ 0.9 vs one token per step (points)', -0.4)), '-0.40');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fmt, mean, median, quantile } from './stats.js';

describe('benchmark statistics', () => {
  it('takes quantiles by nearest rank, whatever the input order', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    assert.equal(quantile(values, 0.5), 5);
    assert.equal(quantile(values, 0.95), 10);
    assert.equal(quantile(values, 0), 1);
    assert.equal(quantile([7], 0.95), 7);
  });

  it('takes the median as the middle value, or the mean of the two middle ones for an even count', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2, 'the nearest-rank quantile differs');
  });

  it('gives NaN, not a number that looks measured, for an empty list', () => {
    assert.ok(Number.isNaN(quantile([], 0.5)));
    assert.ok(Number.isNaN(median([])));
    assert.ok(Number.isNaN(mean([])));
  });

  it('formats numbers to three significant digits', () => {
    assert.equal(fmt(0.012345), '0.0123');
    assert.equal(fmt(12.345), '12.3');
    assert.equal(fmt(12345.6), '12346');
    assert.equal(fmt(0), '0');
  });
});

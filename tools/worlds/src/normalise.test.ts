import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answersMatch, normaliseText } from './normalise.js';

describe('answer normalisation', () => {
  it('lower-cases, removes punctuation and collapses whitespace', () => {
    assert.equal(
      normaliseText('  A Red Circle at the TOP left,  an orange star! '),
      'a red circle at the top left an orange star',
    );
  });

  it('makes a trailing question mark or full stop optional in prompts', () => {
    assert.equal(normaliseText('What color is the circle?'), 'what color is the circle');
    assert.equal(normaliseText('describe the image.'), 'describe the image');
  });

  it('compares answers after normalisation and still tells different answers apart', () => {
    assert.ok(answersMatch('Top Left.', 'top left'));
    assert.ok(!answersMatch('top right', 'top left'));
  });
});

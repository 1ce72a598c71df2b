import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRefusalBeginning, isRefusalFragment } from './refusal-check.js';

const REFUSAL = 'i can only answer questions about shapes in images and smart home voice commands';

describe('isRefusalFragment: an answer is the refusal or an answer, not pieces of both', () => {
  it('passes the refusal itself, in any case and punctuation', () => {
    assert.equal(isRefusalFragment(REFUSAL, REFUSAL), false);
    assert.equal(
      isRefusalFragment('I can only answer questions about shapes in images, and smart-home voice commands.', REFUSAL),
      false,
    );
  });

  it('passes whole answers of every kind', () => {
    for (const answer of [
      'red',
      'top left',
      '2',
      'a red circle at the top left and a blue square in the center',
      '{"action": "activate", "object": "lights", "location": "kitchen"}',
      'ok, turning on the lights in the kitchen',
      'can you turn on the music',
    ])
      assert.equal(isRefusalFragment(answer, REFUSAL), false, answer);
  });

  it('catches an empty answer', () => {
    assert.equal(isRefusalFragment('', REFUSAL), true);
    assert.equal(isRefusalFragment(' . ', REFUSAL), true);
  });

  it('catches an answer sharing two consecutive words with the refusal', () => {
    assert.equal(isRefusalFragment('i can only answer questions about left in images', REFUSAL), true);
    assert.equal(isRefusalFragment('lower the volume answer questions', REFUSAL), true);
    assert.equal(isRefusalFragment('smart home', REFUSAL), true);
  });

  it("catches an answer starting with the refusal's first word, whole or not", () => {
    assert.equal(isRefusalFragment('i yes', REFUSAL), true);
    assert.equal(isRefusalFragment('I, circle', REFUSAL), true);
    assert.equal(
      isRefusalFragment('i want the lights on', REFUSAL),
      true,
      'decoded again one token per step: same text',
    );
  });

  it('does not catch one refusal word inside an answer that does not start like the refusal', () => {
    assert.equal(isRefusalFragment('there are 3 shapes', REFUSAL), false);
  });
});

describe('isRefusalBeginning: the refusal cut short', () => {
  it('holds for an empty answer and every proper beginning of the refusal, by words', () => {
    assert.equal(isRefusalBeginning('', REFUSAL), true);
    assert.equal(isRefusalBeginning('i', REFUSAL), true);
    assert.equal(
      isRefusalBeginning('I can only answer questions about shapes in images and smart home voice', REFUSAL),
      true,
    );
  });

  it('does not hold for the whole refusal, a splice or an answer starting like it', () => {
    assert.equal(isRefusalBeginning(REFUSAL, REFUSAL), false);
    assert.equal(isRefusalBeginning('i can only diamond', REFUSAL), false);
    assert.equal(isRefusalBeginning('i want the lights on', REFUSAL), false);
    assert.equal(isRefusalBeginning('i ca', REFUSAL), false, 'words, not characters');
  });
});

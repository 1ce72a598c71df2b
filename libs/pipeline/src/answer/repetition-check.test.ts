import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRepetition } from './repetition-check.js';

describe('isRepetition: babble is one word over and over', () => {
  it('catches an answer of twelve words or more that is half one word, whatever the case and punctuation', () => {
    assert.equal(isRepetition('red red square red red red red, red red square red red red red red red'), true);
    assert.equal(isRepetition(Array(32).fill('Red').join(' ')), true);
    assert.equal(isRepetition('a red, b red. c red! d red e red f red'), true, '6 of 12');
  });

  it('passes shorter answers, however repetitive: short answers repeat words fairly', () => {
    for (const answer of [
      'red red',
      'no no no',
      'ten ten ten ten who who who who',
      'red red red red red red red red red red red',
    ])
      assert.equal(isRepetition(answer), false, answer);
  });

  it('passes whole answers of every kind', () => {
    for (const answer of [
      '',
      'red',
      'there is no circle',
      'a red circle at the top left, a red square at the top right, a red star at the bottom left, a red diamond at the bottom right',
      '{"action": "activate", "object": "lights", "location": "kitchen"}',
      'ok, turning on the lights in the kitchen',
      'i can only answer questions about shapes in images and smart home voice commands',
      'a b c d e f g h i j k l',
    ])
      assert.equal(isRepetition(answer), false, answer);
  });

  it('needs half: one word short of it passes', () => {
    assert.equal(isRepetition('red red red red red a b c d e f g h'), false, '5 of 13');
    assert.equal(isRepetition('red red red red red red a b c d e f'), true, '6 of 12');
  });
});

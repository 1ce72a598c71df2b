import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { sampleScene, type Scene } from './scene.js';
import {
  allQuestions,
  answerQuestion,
  describeScene,
  parseShapeQuestion,
  questionText,
  sampleQuestion,
  SHAPE_QUESTION_TYPES,
} from './questions.js';

const scene: Scene = {
  width: 300,
  height: 300,
  background: [255, 255, 255],
  noise: 0,
  noiseSeed: 0,
  objects: [
    { shape: 'star', color: 'orange', rgb: [245, 140, 30], row: 'bottom', column: 'right', cx: 250, cy: 250, size: 60 },
    { shape: 'circle', color: 'red', rgb: [220, 40, 40], row: 'top', column: 'left', cx: 50, cy: 50, size: 60 },
    { shape: 'square', color: 'red', rgb: [220, 40, 40], row: 'middle', column: 'center', cx: 150, cy: 150, size: 60 },
  ],
};

describe('world-1 answers', () => {
  it('names the colour of a present shape and says when the shape is absent', () => {
    assert.equal(answerQuestion(scene, { type: 'color_of_shape', shape: 'star' }), 'orange');
    assert.equal(answerQuestion(scene, { type: 'color_of_shape', shape: 'diamond' }), 'there is no diamond');
  });

  it('names the shape of a unique colour and handles a repeated or missing colour', () => {
    assert.equal(answerQuestion(scene, { type: 'shape_of_color', color: 'orange' }), 'star');
    assert.equal(answerQuestion(scene, { type: 'shape_of_color', color: 'red' }), 'there is more than one red object');
    assert.equal(answerQuestion(scene, { type: 'shape_of_color', color: 'green' }), 'there is no green object');
  });

  it('counts all objects and objects of a colour as digits', () => {
    assert.equal(answerQuestion(scene, { type: 'count_all', wording: 0 }), '3');
    assert.equal(answerQuestion(scene, { type: 'count_color', color: 'red' }), '2');
    assert.equal(answerQuestion(scene, { type: 'count_color', color: 'black' }), '0');
  });

  it('answers yes only for a matching colour and shape', () => {
    assert.equal(answerQuestion(scene, { type: 'exists', color: 'red', shape: 'circle' }), 'yes');
    assert.equal(answerQuestion(scene, { type: 'exists', color: 'orange', shape: 'circle' }), 'no');
  });

  it('gives the row and column of a shape', () => {
    assert.equal(answerQuestion(scene, { type: 'where', shape: 'square' }), 'middle center');
    assert.equal(answerQuestion(scene, { type: 'where', shape: 'triangle' }), 'there is no triangle');
  });

  it('describes the image in reading order with the right article', () => {
    assert.equal(
      describeScene(scene),
      'a red circle at the top left, a red square at the middle center, an orange star at the bottom right',
    );
  });
});

describe('world-1 prompts', () => {
  it('words the questions as the spec does and recognises them back', () => {
    assert.equal(questionText({ type: 'shape_of_color', color: 'blue' }), 'what shape is the blue object');
    assert.equal(questionText({ type: 'count_all', wording: 1 }), 'how many objects are in the image');
    for (const q of allQuestions()) assert.deepEqual(parseShapeQuestion(questionText(q)), q);
    assert.equal(parseShapeQuestion('what color is the hexagon'), undefined);
  });

  it('samples yes and no, and failed premises, in useful proportions', () => {
    const rng = new Rng(3);
    const tally = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const s = sampleScene(rng);
      for (const type of SHAPE_QUESTION_TYPES) {
        const a = answerQuestion(s, sampleQuestion(rng, s, type));
        const key = a.startsWith('there is')
          ? `${type}:failed`
          : type === 'exists' || type === 'count_color'
            ? `${type}:${a}`
            : type;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
    }
    assert.ok((tally.get('exists:yes') ?? 0) > 1200 && (tally.get('exists:no') ?? 0) > 1200);
    // No count dominates the colour-count answers.
    for (const n of ['0', '1', '2']) {
      const c = tally.get(`count_color:${n}`) ?? 0;
      assert.ok(c > 450 && c < 1650, `count_color answer ${n}: ${c}`);
    }
    for (const t of ['color_of_shape', 'where', 'shape_of_color']) {
      const failed = tally.get(`${t}:failed`) ?? 0;
      assert.ok(failed > 300 && failed < 1500, `${t} failed premises: ${failed}`);
    }
  });
});

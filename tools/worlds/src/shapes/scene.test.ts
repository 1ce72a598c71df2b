import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../rng.js';
import { readingOrder, sampleScene, sceneViolations, type Scene } from './scene.js';
import { sceneCells } from './cells.js';

describe('scene sampling', () => {
  it('produces 2,000 scenes that all satisfy every rule of the spec', () => {
    const rng = new Rng(123);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) {
      const scene = sampleScene(rng);
      assert.deepEqual(sceneViolations(scene), [], JSON.stringify(scene));
      counts[scene.objects.length]! += 1;
    }
    // Every object count from 1 to 4 occurs.
    assert.ok(
      counts.slice(1).every((c) => c > 300),
      `object counts ${counts}`,
    );
  });

  it('is reproducible from a seed', () => {
    assert.deepEqual(sampleScene(new Rng(5)), sampleScene(new Rng(5)));
    assert.notDeepEqual(sampleScene(new Rng(5)), sampleScene(new Rng(6)));
  });

  it('honours a fixed size and object count, including the smallest images', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 200; i++) {
      const scene = sampleScene(rng, { width: 64, height: 64, objectCount: 4 });
      assert.equal(scene.objects.length, 4);
      assert.deepEqual(sceneViolations(scene), []);
    }
  });

  it('reports overlapping objects, a repeated shape and a dark background as violations', () => {
    const scene: Scene = {
      width: 300,
      height: 300,
      background: [150, 255, 255],
      noise: 0,
      noiseSeed: 0,
      objects: [
        { shape: 'circle', color: 'red', rgb: [220, 40, 40], row: 'top', column: 'left', cx: 90, cy: 50, size: 80 },
        { shape: 'circle', color: 'blue', rgb: [40, 90, 220], row: 'top', column: 'center', cx: 130, cy: 50, size: 80 },
      ],
    };
    const problems = sceneViolations(scene).join('\n');
    assert.match(problems, /overlap/);
    assert.match(problems, /shape type appears twice/);
    assert.match(problems, /background/);
  });
});

describe('reading order and the cell text form', () => {
  const scene: Scene = {
    width: 300,
    height: 300,
    background: [255, 255, 255],
    noise: 0,
    noiseSeed: 0,
    objects: [
      {
        shape: 'star',
        color: 'orange',
        rgb: [245, 140, 30],
        row: 'bottom',
        column: 'right',
        cx: 250,
        cy: 250,
        size: 60,
      },
      { shape: 'circle', color: 'red', rgb: [220, 40, 40], row: 'top', column: 'left', cx: 50, cy: 50, size: 60 },
      { shape: 'square', color: 'blue', rgb: [40, 90, 220], row: 'middle', column: 'left', cx: 50, cy: 150, size: 60 },
    ],
  };

  it('orders objects by row, then column', () => {
    assert.deepEqual(
      readingOrder(scene).map((o) => o.shape),
      ['circle', 'square', 'star'],
    );
  });

  it('writes one token per grid cell, empty cells included', () => {
    assert.deepEqual(sceneCells(scene), [
      'red_circle',
      'empty',
      'empty',
      'blue_square',
      'empty',
      'empty',
      'empty',
      'empty',
      'orange_star',
    ]);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderCanvas } from './render-canvas.js';

describe('renderCanvas', () => {
  it('shows masks as ░ and words as text', () => {
    assert.equal(renderCanvas({ cells: ['red', null, 'circle'], fresh: new Set() }, false), 'red ░ circle');
  });
  it('highlights freshly committed tokens only when colour is on', () => {
    const view = { cells: ['a', 'b'], fresh: new Set([1]) };
    assert.equal(renderCanvas(view, false), 'a b');
    assert.equal(renderCanvas(view, true), 'a \u001b[1;32mb\u001b[0m');
  });
  it('drops cells that render as nothing (EOS, padding)', () => {
    assert.equal(renderCanvas({ cells: ['yes', '', ''], fresh: new Set() }, false), 'yes');
  });
});

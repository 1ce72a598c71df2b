import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadedMedia } from './media.js';
import { Picks } from './picks.js';

const media = (name: string): LoadedMedia => ({
  name,
  type: 'image/png',
  bytes: new Uint8Array([1]),
  previewUrl: URL.createObjectURL(new Blob([name])),
});

/** A promise and the function that resolves it. */
function later<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Picks', () => {
  it('gives the pick started last, even when an earlier pick of the same kind finishes after it', async () => {
    const picks = new Picks(() => assert.fail('no error expected'));
    const first = later<LoadedMedia>();
    const second = later<LoadedMedia>();
    const a = picks.pick('image', first.promise);
    const b = picks.pick('image', second.promise);
    second.resolve(media('second.png'));
    assert.equal((await b)?.name, 'second.png');
    first.resolve(media('first.png'));
    assert.equal(await a, null);
  });

  it('keeps images and audio apart: a new audio pick does not supersede an image pick', async () => {
    const picks = new Picks(() => assert.fail('no error expected'));
    const image = picks.pick('image', Promise.resolve(media('a.png')));
    const audio = picks.pick('audio', Promise.resolve(media('a.wav')));
    assert.equal((await image)?.name, 'a.png');
    assert.equal((await audio)?.name, 'a.wav');
  });

  it('is busy while a tracked task runs, settles when it ends, and reports a failure instead of throwing', async () => {
    const errors: unknown[] = [];
    const picks = new Picks((error) => errors.push(error));
    const task = later<void>();
    picks.track(task.promise);
    picks.track(Promise.reject(new Error('not a WAV')));
    assert.equal(picks.busy, true);
    task.resolve();
    await picks.settled();
    assert.equal(picks.busy, false);
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['not a WAV'],
    );
  });
});

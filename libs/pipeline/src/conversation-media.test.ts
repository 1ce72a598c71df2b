import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickConversationMedia, withConversationMedia } from './conversation-media.js';

const bytes = (n: number) => new Uint8Array([n]);
const first = { data: bytes(1), field: 'messages[0].content[0].image_url.url' };
const second = { data: bytes(2), field: 'messages[2].content[0].image_url.url' };
const clip = { data: bytes(3), field: 'messages[0].content[1].input_audio.data' };
const history = [
  { role: 'user', content: 'what color is the circle', images: [first], audio: [clip] },
  { role: 'assistant', content: 'red' },
];

describe('withConversationMedia: which images and sounds go with the prompt', () => {
  it('last_user_turn: the last turn’s own images, else the latest earlier ones, and the same for sounds', () => {
    const own = withConversationMedia(
      { prompt: 'how many shapes are there', history, images: [second] },
      'last_user_turn',
    );
    assert.deepEqual(own.images, [second], 'a new image replaces the old one');
    assert.deepEqual(own.audio, [clip], 'no sound of its own: the latest earlier one');
    const none = withConversationMedia({ prompt: 'how many shapes are there', history }, 'last_user_turn');
    assert.deepEqual(none.images, [first], 'a question after an image is about it');
  });

  it('template: every turn’s media in order, the last turn’s after the earlier ones', () => {
    const r = withConversationMedia({ prompt: 'and now?', history, images: [second] }, 'template');
    assert.deepEqual(r.images, [first, second]);
    assert.deepEqual(r.audio, [clip]);
  });

  it('leaves no media in the history, drops turns that were only media, and is idempotent', () => {
    const onlyImage = [{ role: 'user', content: ' ', images: [first] }, ...history.slice(1)];
    const r = withConversationMedia({ prompt: 'what color is the circle', history: onlyImage }, 'last_user_turn');
    assert.deepEqual(r.history, [{ role: 'assistant', content: 'red' }]);
    assert.deepEqual(r.images, [first]);
    assert.deepEqual(withConversationMedia(r, 'last_user_turn'), r);
    const plain = { prompt: 'hi', history: [{ role: 'system', content: '' }] };
    assert.equal(withConversationMedia(plain, 'template'), plain, 'a conversation without media is unchanged');
  });

  it('pickConversationMedia takes media of any form (the API picks URLs before fetching any)', () => {
    const earlier = [{ images: ['a.png'], audio: ['one.wav'] }, { images: [] }, { images: ['b.png', 'c.png'] }];
    assert.deepEqual(pickConversationMedia({ images: [] }, earlier, 'last_user_turn'), {
      images: ['b.png', 'c.png'],
      audio: ['one.wav'],
    });
    assert.deepEqual(pickConversationMedia({ images: ['d.png'] }, earlier, 'template'), {
      images: ['a.png', 'b.png', 'c.png', 'd.png'],
      audio: ['one.wav'],
    });
  });
});

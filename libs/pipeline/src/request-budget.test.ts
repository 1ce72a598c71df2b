import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isUnmaskError, type UnmaskErrorCode } from '@unmask/core';
import { Unmask } from './unmask.js';
import { pngOf, wavOf } from './test-support/media.js';

const BUNDLE = fileURLToPath(new URL('../test-fixtures/tiny-multimodal', import.meta.url));

/** A PNG whose header is intact and whose pixel data is not: reading the header works, decoding fails. */
function headerOnly(png: Uint8Array): Uint8Array {
  const out = Uint8Array.from(png);
  const idat = Buffer.from(out).indexOf('IDAT');
  out.fill(0x5a, idat + 4, out.length - 12); // the compressed pixels, up to IEND
  return out;
}

const refused = (code: UnmaskErrorCode, pattern: RegExp, param?: string) => (error: unknown) =>
  isUnmaskError(error, code) && pattern.test(error.message) && (param === undefined || error.param === param);

describe('cheap checks before any media is decoded or text tokenized', () => {
  let unmask: Unmask;
  before(async () => {
    unmask = await Unmask.load(BUNDLE, {
      poolSize: 1,
      limits: {
        request: { maxPromptChars: 500, maxMediaItems: 3, maxTotalPixels: 10_000, maxTotalSeconds: 1 },
      },
    });
  });
  after(() => unmask.close());

  it('a prompt over maxPromptChars', async () => {
    await assert.rejects(
      unmask.ask({ prompt: 'x'.repeat(501) }),
      refused('too_large', /^prompt: the prompt has 501 characters, over the limit of 500 characters$/, 'prompt'),
    );
  });

  it('maxPromptChars counts the whole conversation: a short prompt after a long history is refused', async () => {
    const history = [
      { role: 'system', content: 's'.repeat(300) },
      { role: 'assistant', content: 'a'.repeat(200) },
    ];
    await assert.rejects(
      unmask.ask({ prompt: 'q?', history }),
      refused('too_large', /prompt and history have 502 characters, over the limit of 500/, 'prompt'),
    );
  });

  it('more media items than maxMediaItems', async () => {
    const png = await pngOf(8, 8);
    await assert.rejects(
      unmask.ask({ prompt: 'q', images: [png, png], audio: [wavOf(0.1), wavOf(0.1)] }),
      refused('invalid_parameter', /^audio\[1\]: 2 images and 2 sounds: over the limit of 3 media items/, 'audio[1]'),
    );
  });

  it('images whose headers add up to more than maxTotalPixels, before any is decoded', async () => {
    const first = headerOnly(await pngOf(80, 80));
    const second = headerOnly(await pngOf(80, 80));
    await assert.rejects(
      unmask.ask({ prompt: 'q', images: [first, second] }),
      refused('too_large', /12800 pixels, over the limit of 10000 pixels per request/, 'images[1]'),
    );
  });

  it('sounds whose headers add up to more than maxTotalSeconds', async () => {
    await assert.rejects(
      unmask.ask({ prompt: 'q', audio: [wavOf(0.6), wavOf(0.6)] }),
      refused('too_large', /1\.20 s, over the limit of 1 s per request/, 'audio[1]'),
    );
  });

  it('a request that cannot fit the model: refused from the headers, the image never decoded', async () => {
    const image = headerOnly(await pngOf(60, 60));
    await assert.rejects(
      unmask.ask({ prompt: 'q', images: [image], maxTokens: unmask.bundle.info.maxPositions, fixedCanvas: true }),
      refused('context_length_exceeded', /9 media positions.*more than the model's/),
    );
    await assert.rejects(
      unmask.ask({ prompt: 'q', images: [image], maxTokens: 4 }),
      refused('invalid_media', /corrupt|truncated/),
    );
  });

  it('a cancelled request stops before its next media item', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client gone'));
    const broken = headerOnly(await pngOf(20, 20));
    await assert.rejects(
      unmask.ask({ prompt: 'q', images: [broken], signal: controller.signal }),
      refused('aborted', /cancelled: client gone/),
    );
  });

  it('a request within every limit is answered', async () => {
    const r = await unmask.ask({ prompt: 'q', images: [await pngOf(60, 60)], audio: [wavOf(0.5)], maxTokens: 4 });
    assert.equal(typeof r.text, 'string');
  });
});

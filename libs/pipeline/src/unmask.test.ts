/**
 * The pipeline end to end on a real (tiny, random) multimodal bundle: images and sounds go
 * through libs/vision and libs/audio into the ONNX towers, their features are spliced at the
 * expanded placeholders, and the engine decodes. Answers are random; the plumbing is specified.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { isUnmaskError } from '@unmask/core';
import { Unmask } from './unmask.js';
import { buildPrompt, userMessage } from './prompt-builder.js';
import { pngOf, wavOf } from './test-support/media.js';

const BUNDLE = fileURLToPath(new URL('../test-fixtures/tiny-multimodal', import.meta.url));
const TEXT_ONLY = fileURLToPath(new URL('../../core/test-fixtures/tiny-bundle', import.meta.url));

describe('Unmask on a multimodal bundle', () => {
  let unmask: Unmask;
  before(async () => {
    unmask = await Unmask.load(BUNDLE, { poolSize: 1 });
  });
  after(() => unmask.close());

  it('says what it accepts', () => {
    assert.deepEqual(unmask.accepts, { images: true, audio: true });
  });

  it('answers a text prompt', async () => {
    const r = await unmask.ask({ prompt: 'what is the answer', maxTokens: 6, strategy: { name: 'low_confidence' } });
    assert.equal(r.forwardPasses, 6);
    assert.equal(typeof r.text, 'string');
    assert.ok(r.promptTokens > 3 && r.ms > 0);
  });

  it('expands an image placeholder to the 9 image tokens and splices the features there', async () => {
    const png = await pngOf(200, 150);
    const r = await unmask.ask({ prompt: 'what is the colour', images: [png], maxTokens: 4 });
    const textOnly = await unmask.ask({ prompt: 'what is the colour', maxTokens: 4 });
    assert.equal(r.promptTokens, textOnly.promptTokens + 9);
  });

  it('expands an audio placeholder to queries + frames/8 tokens', async () => {
    const r = await unmask.ask({ prompt: 'what is the answer', audio: [wavOf(1)], maxTokens: 4 });
    const textOnly = await unmask.ask({ prompt: 'what is the answer', maxTokens: 4 });
    // 1 s at 16 kHz → 100 frames → 4 queries + ceil(100 / 8) = 17 tokens, replacing 1 placeholder.
    assert.equal(r.promptTokens, textOnly.promptTokens + 17);
  });

  it('takes an image and a sound in one request', async () => {
    const r = await unmask.ask({
      prompt: 'answer the question',
      images: [await pngOf(64, 64)],
      audio: [wavOf(0.5, 8000)],
      maxTokens: 4,
    });
    assert.equal(r.forwardPasses <= 4, true);
  });

  it('prepares a request up to the canvas once (media encoded, spliced); generate decodes it as ask does', async () => {
    const request = {
      prompt: 'what is the colour',
      images: [await pngOf(200, 150)],
      maxTokens: 4,
      strategy: { name: 'low_confidence' },
    };
    const prepared = await unmask.prepare(request);
    const image = unmask.bundle.specialTokens.image?.id;
    assert.deepEqual(
      prepared.embeddings.map((e) => [prepared.promptIds[e.offset], e.count, e.data.length]),
      [[image, 9, 9 * unmask.bundle.info.hiddenSize]],
    );
    const asked = await unmask.ask(request);
    const first = await unmask.generate(prepared).result;
    const again = await unmask.generate(prepared).result;
    assert.deepEqual([first.canvas, again.canvas], [asked.canvas, asked.canvas]);
    assert.equal(first.promptTokens, prepared.promptIds.length);
    assert.ok(first.ms >= prepared.ms);
  });

  it('splices features so the image changes the logits (different images, different canvases)', async () => {
    const canvases = new Set<string>();
    for (const rgb of [
      [255, 255, 255],
      [0, 0, 0],
      [30, 200, 60],
      [250, 200, 0],
    ] as [number, number, number][]) {
      const r = await unmask.ask({
        prompt: 'what',
        images: [await pngOf(96, 96, rgb)],
        maxTokens: 8,
        strategy: { name: 'low_confidence' },
      });
      canvases.add(r.canvas.join(','));
    }
    assert.ok(canvases.size > 1, 'the answer should depend on the image');
  });

  it('streams every step with the text of each cell when asked, masks as null', async () => {
    const request = { prompt: 'what is the answer', maxTokens: 5, strategy: { name: 'low_confidence' } };
    const stream = unmask.askStream(request, { cells: true });
    const cells: (string | null)[][] = [];
    for await (const step of stream) cells.push([...(step.cells ?? [])]);
    assert.equal(cells.length, 5);
    assert.equal(cells[0]?.filter((c) => c === null).length, 4);
    assert.equal(cells[4]?.filter((c) => c === null).length, 0);
    assert.equal((await stream.result).forwardPasses, 5);
    for await (const step of unmask.askStream(request)) assert.equal(step.cells, undefined, 'not asked: not decoded');
  });

  it('streams the answer as deltas that add up to the final text', async () => {
    const stream = unmask.askStream({
      prompt: 'what is the answer',
      maxTokens: 8,
      strategy: { name: 'low_confidence' },
    });
    let streamed = '';
    for await (const step of stream) streamed += step.delta;
    assert.equal(streamed, (await stream.result).text);
  });

  it('cuts the answer at a stop sequence, streamed and final, with finish reason stop', async () => {
    const request = { prompt: 'what is the answer', maxTokens: 8, strategy: { name: 'low_confidence' } };
    const free = (await unmask.ask(request)).text;
    const words = free.split(' ').filter((w) => w !== '');
    assert.ok(words.length >= 2, `the random model's answer has two words: ${JSON.stringify(free)}`);
    const stop = words[1] as string;
    const stream = unmask.askStream({ ...request, stop: [stop] });
    let streamed = '';
    const stoppedAt: boolean[] = [];
    for await (const step of stream) {
      streamed += step.delta;
      stoppedAt.push(step.stopped);
    }
    const result = await stream.result;
    assert.equal(result.text, free.slice(0, free.indexOf(stop)));
    assert.equal(result.finishReason, 'stop');
    assert.equal(streamed, result.text);
    assert.equal(stoppedAt.at(-1), true);
  });

  it('keeps a constrained answer in its language: a choice, a regular expression', async () => {
    const choices = ['red', 'blue sky', 'two dogs'];
    for (const strategy of [{ name: 'low_confidence' }, { name: 'confident', threshold: 0.5 }, { name: 'prophet' }]) {
      const r = await unmask.ask({
        prompt: 'what is the answer',
        maxTokens: 6,
        strategy,
        responseFormat: { type: 'choice', choices },
      });
      assert.ok(choices.includes(r.text), `${strategy.name}: ${JSON.stringify(r.text)}`);
      assert.equal(r.finishReason, 'stop');
    }
    const pattern = '(one|two|three)( and (one|two|three))* (cat|dog)';
    const stream = unmask.askStream({ prompt: 'how many', maxTokens: 8, responseFormat: { type: 'regex', pattern } });
    let streamed = '';
    for await (const step of stream) streamed += step.delta;
    const r = await stream.result;
    assert.match(r.text, new RegExp(`^${pattern}$`));
    assert.equal(streamed, r.text);
  });

  it('refuses a constraint the vocabulary cannot write before decoding, and a bad schema by its field', async () => {
    // The tiny vocabulary has no JSON punctuation.
    await assert.rejects(unmask.ask({ prompt: 'what', responseFormat: { type: 'json_object' } }), (e) =>
      isUnmaskError(e, 'constraint_unsatisfiable'),
    );
    await assert.rejects(
      unmask.ask({
        prompt: 'what',
        responseFormat: { type: 'json_schema', schema: { type: 'array', uniqueItems: true } },
      }),
      (e) =>
        isUnmaskError(e, 'invalid_parameter') && e.param === 'responseFormat.schema' && /uniqueItems/.test(e.message),
    );
  });

  it('rejects a corrupt image and a lying WAV with specific errors, then keeps answering', async () => {
    const png = await pngOf(64, 64);
    await assert.rejects(unmask.ask({ prompt: 'what', images: [png.subarray(0, 60)] }), (e) =>
      isUnmaskError(e, 'invalid_media'),
    );
    const wav = wavOf(0.5);
    Buffer.from(wav.buffer, wav.byteOffset).writeUInt32LE(10_000_000, 40); // data chunk claims more than the file holds
    await assert.rejects(unmask.ask({ prompt: 'what', audio: [wav] }), (e) => isUnmaskError(e, 'invalid_media'));
    const r = await unmask.ask({ prompt: 'what', maxTokens: 2 });
    assert.equal(typeof r.text, 'string');
  });

  it('names the request’s own fields in its errors: each medium’s, and fields for the rest', async () => {
    const png = await pngOf(64, 64);
    const fields = { prompt: 'messages', maxTokens: 'max_tokens', strategy: 'diffusion.strategy' };
    const field = 'messages[0].content[1].image_url.url';
    await assert.rejects(
      unmask.ask({ prompt: 'what', images: [{ data: png.subarray(0, 60), field }], fields }),
      (e) => isUnmaskError(e, 'invalid_media') && e.param === field && e.message.startsWith(`${field}: `),
    );
    await assert.rejects(
      unmask.ask({ prompt: 'what', maxTokens: 0, fields }),
      (e) => isUnmaskError(e, 'invalid_parameter') && e.param === 'max_tokens' && /^max_tokens must be/.test(e.message),
    );
    await assert.rejects(
      unmask.ask({ prompt: 'what', maxTokens: 8, strategy: { name: 'low_confidence', block_length: 3 }, fields }),
      (e) => isUnmaskError(e, 'invalid_parameter') && e.param === 'diffusion.strategy.block_length',
    );
    await assert.rejects(
      unmask.ask({ prompt: 'what '.repeat(unmask.bundle.info.maxPositions), fields }),
      (e) => isUnmaskError(e, 'context_length_exceeded') && e.param === 'messages' && /^messages: /.test(e.message),
    );
  });

  it('rejects an empty prompt', async () => {
    await assert.rejects(
      unmask.ask({ prompt: '  ' }),
      (e) => isUnmaskError(e, 'invalid_parameter') && /prompt/.test(e.message),
    );
  });

  it('builds prompts with one placeholder per medium, in order, and checks the template rendered them', () => {
    const features = [
      { kind: 'image' as const, tokens: 2, data: new Float32Array(64) },
      { kind: 'audio' as const, tokens: 3, data: new Float32Array(96) },
    ];
    const built = buildPrompt(unmask.bundle, [userMessage('what', 1, 1)], features);
    const image = unmask.bundle.specialTokens.image?.id;
    const audio = unmask.bundle.specialTokens.audio?.id;
    assert.deepEqual(
      built.embeddings.map((e) => [built.promptIds[e.offset], e.count]),
      [
        [image, 2],
        [audio, 3],
      ],
    );
    assert.throws(
      () => buildPrompt(unmask.bundle, [userMessage('what', 0, 0)], features),
      /rendered 0 image placeholders for 1/,
    );
  });
});

describe('Unmask on a text-only bundle', () => {
  it('refuses images and audio with a clear error', async () => {
    const unmask = await Unmask.load(TEXT_ONLY, { poolSize: 1 });
    try {
      await assert.rejects(unmask.ask({ prompt: 'what', images: [await pngOf(32, 32)] }), /takes no images/);
      await assert.rejects(unmask.ask({ prompt: 'what', audio: [wavOf(0.5)] }), /takes no audio/);
      const field = 'input[0].content[2].input_audio.data';
      assert.throws(
        () => unmask.check({ prompt: 'what', audio: [{ data: wavOf(0.5), field }] }),
        (e) =>
          isUnmaskError(e, 'invalid_parameter') &&
          e.param === field &&
          e.message === `${field}: this model takes no audio`,
      );
    } finally {
      await unmask.close();
    }
  });
});

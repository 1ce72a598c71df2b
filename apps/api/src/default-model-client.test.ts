/**
 * The official openai client against the server running the embedded default model, as a new
 * user would call it: structured outputs with `.parse` give the sample commands' intents, a
 * system message or earlier turns change nothing, `max_tokens` is only a bound, and the fields
 * OpenAI defines but this server cannot honour are refused with a clear 400 (never ignored).
 * Tools and logprobs: default-model-tools.test.ts; the Responses API: responses-api.test.ts.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { defaultModelDir } from '@unmask/pipeline';
import {
  commands,
  INTENT_JSON_SCHEMA,
  sampleBase64,
  sampleImage,
  sampleImageNamed,
} from './test-support/demo-samples.js';
import { startServer } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

describe('the openai client and the default model', () => {
  let server: Started;
  let client: OpenAI;
  let base: string;
  before(async () => {
    server = await startServer({}, defaultModelDir());
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => server.close());

  const audioMessage = (file: string, text: string): OpenAI.Chat.ChatCompletionMessageParam => ({
    role: 'user',
    content: [
      {
        type: 'input_audio',
        input_audio: { data: sampleBase64(file), format: 'wav' },
      },
      { type: 'text', text },
    ],
  });

  it('.parse with a json_schema response format returns each sample command’s intent', async () => {
    for (const sample of commands) {
      const completion = await client.chat.completions.parse({
        model: 'unmask-default',
        messages: [
          { role: 'system', content: 'You extract smart-home intents as JSON.' },
          audioMessage(sample.file, 'what is the intent'),
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'intent', strict: true, schema: INTENT_JSON_SCHEMA },
        },
      });
      assert.deepEqual(completion.choices[0]?.message.parsed, sample.intent, sample.file);
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
    }
  });

  it('a system message, even empty, and earlier turns change nothing', async () => {
    const image = sampleImage(2);
    const png = sampleBase64(image.file);
    const question: OpenAI.Chat.ChatCompletionMessageParam = {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        { type: 'text', text: 'what color is the circle' },
      ],
    };
    const ask = async (messages: OpenAI.Chat.ChatCompletionMessageParam[]) =>
      (await client.chat.completions.create({ model: 'm', messages, seed: 1 })).choices[0]?.message.content;
    const alone = await ask([question]);
    assert.equal(alone, image.answers['what color is the circle']);
    assert.equal(await ask([{ role: 'system', content: '' }, question]), alone);
    assert.equal(await ask([{ role: 'system', content: 'You are a helpful assistant.' }, question]), alone);
    assert.equal(
      await ask([
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi' },
        { role: 'tool', content: '{"ok": true}', tool_call_id: 'call_1' },
        question,
      ]),
      alone,
    );
  });

  it('a conversation’s questions are about its latest image: the earlier one when the turn has none, a new one instead of the old', async () => {
    const withUrl = (file: string) => ({
      ...sampleImageNamed(file),
      url: `data:image/png;base64,${sampleBase64(file)}`,
    });
    const [a, b] = [withUrl('shapes-3.png'), withUrl('shapes-4.png')];
    const withImage = (url: string, text: string): OpenAI.Chat.ChatCompletionMessageParam => ({
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url } },
        { type: 'text', text },
      ],
    });
    const ask = async (messages: OpenAI.Chat.ChatCompletionMessageParam[]) =>
      (await client.chat.completions.create({ model: 'm', messages })).choices[0]?.message.content;
    const opening: OpenAI.Chat.ChatCompletionMessageParam[] = [
      withImage(a.url, 'what color is the circle'),
      { role: 'assistant', content: a.answers['what color is the circle'] ?? '' },
    ];
    assert.equal(
      await ask([...opening, { role: 'user', content: 'describe the image' }]),
      a.answers['describe the image'],
    );
    assert.equal(await ask([...opening, withImage(b.url, 'describe the image')]), b.answers['describe the image']);
    assert.notEqual(a.answers['describe the image'], b.answers['describe the image']);
    // A URL this server would refuse to fetch (its host is not on IMAGE_URL_ALLOWLIST): never read.
    const broken = 'https://example.com/an-earlier-image.png';
    assert.equal(
      await ask([
        withImage(broken, 'what color is the circle'),
        { role: 'assistant', content: 'red' },
        withImage(b.url, 'describe the image'),
      ]),
      b.answers['describe the image'],
      'an image the model does not take is not fetched',
    );
  });

  it('max_tokens is a bound: 4096 answers like 32, with the same passes; 2 cuts the answer with finish_reason length', async () => {
    const image = sampleImage(3);
    const png = sampleBase64(image.file);
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
          { type: 'text', text: 'describe the image' },
        ],
      },
    ];
    const at = (max_tokens: number) => client.chat.completions.create({ model: 'm', messages, max_tokens });
    const [small, large, huge, cut] = await Promise.all([at(32), at(1024), at(4096), at(2)]);
    assert.equal(small.choices[0]?.message.content, image.answers['describe the image']);
    for (const r of [large, huge]) {
      assert.equal(r.choices[0]?.message.content, small.choices[0]?.message.content);
      assert.equal(r.choices[0]?.finish_reason, 'stop');
      assert.equal(
        (r.usage as unknown as { forward_passes: number }).forward_passes,
        (small.usage as unknown as { forward_passes: number }).forward_passes,
      );
    }
    assert.equal(cut.choices[0]?.finish_reason, 'length');
  });

  it('GET /v1/models/{id}: the served model, 404 for another', async () => {
    const model = await client.models.retrieve('unmask-default');
    assert.equal(model.id, 'unmask-default');
    await assert.rejects(client.models.retrieve('gpt-4o'), (e: unknown) => e instanceof OpenAI.NotFoundError);
  });

  it('accepts null for optional fields and sends usage: null on every chunk before the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'how many shapes are there' }],
      stream: true,
      stream_options: { include_usage: true },
      response_format: null as unknown as undefined,
      user: null as unknown as undefined,
      logprobs: null,
      tools: null as unknown as undefined,
      temperature: null,
    });
    const usages: unknown[] = [];
    for await (const chunk of stream) usages.push(chunk.usage);
    assert.ok(usages.length >= 3);
    assert.ok(usages.slice(0, -1).every((u) => u === null));
    assert.ok(usages.at(-1));
  });

  it('refuses penalties with a 400 naming the field (never ignored)', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        frequency_penalty: 0.5,
      }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError && e.param === 'frequency_penalty' && e.code === 'unsupported_parameter',
    );
  });
});

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { chatCompletionChunkSchema } from '@unmask/protocol';
import { dataUrl, metricValue, pngBytes, startServer, wavBytes } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

/** The `diffusion` extension is not in the SDK's types; the SDK sends unknown fields as they are. */
type Params = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming & { diffusion?: unknown };
type StreamParams = OpenAI.Chat.ChatCompletionCreateParamsStreaming & { diffusion?: unknown };

describe('the official openai client over a real socket', () => {
  let server: Started;
  let client: OpenAI;
  let base: string;
  before(async () => {
    server = await startServer({ API_KEY: 'test-key' });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test-key', maxRetries: 0 });
  });
  after(async () => server.close());

  it('lists the model', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['tiny-random-multimodal'],
    );
  });

  it('creates a completion, with forward passes in usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-random-multimodal',
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 8,
      seed: 7,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(typeof completion.choices[0]?.message.content, 'string');
    assert.ok(((completion.usage as unknown as { forward_passes: number }).forward_passes ?? 0) >= 1);
  });

  it('streams deltas that add up to the whole answer, then usage; step events ride along unnoticed', async () => {
    const params = {
      model: 'm',
      messages: [{ role: 'user' as const, content: 'tell me' }],
      max_tokens: 16,
      diffusion: { strategy: { name: 'low_confidence' } },
    };
    const whole = await client.chat.completions.create(params as Params);
    const stream = await client.chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
      diffusion: { ...params.diffusion, stream_steps: true },
    } as StreamParams);
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let steps = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      // What any OpenAI client does: read choices[0].delta, ignore what it does not know.
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
      if (chatCompletionChunkSchema.parse(chunk).diffusion_step) steps += 1;
    }
    assert.equal(text, whole.choices[0]?.message.content);
    assert.equal(finish, whole.choices[0]?.finish_reason);
    assert.deepEqual(usage, whole.usage);
    assert.equal(steps, 16, 'one step event per forward pass');
  });

  it('sends an image and a sound as content parts', async () => {
    const png = await pngBytes();
    const image = await client.chat.completions.create({
      model: 'm',
      max_tokens: 4,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl('image/png', png) } },
            { type: 'text', text: 'what is it' },
          ],
        },
      ],
    });
    assert.equal(image.choices.length, 1);
    const audio = await client.chat.completions.create({
      model: 'm',
      max_tokens: 4,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: wavBytes().toString('base64'), format: 'wav' } },
            { type: 'text', text: 'what is it' },
          ],
        },
      ],
    });
    assert.equal(audio.choices.length, 1);
  });

  it('refuses JSON mode with a schema this vocabulary cannot write (no JSON punctuation), naming response_format', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'answer yes or no' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'a', schema: { type: 'object', properties: { answer: { enum: ['yes', 'no'] } } } },
        },
      }),
      (error: unknown) =>
        error instanceof OpenAI.BadRequestError &&
        error.code === 'constraint_unsatisfiable' &&
        error.param === 'response_format',
    );
  });

  it('raises the SDK error types with our status, code and param', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'q' }],
        diffusion: { strategy: { name: 'nope' } },
      } as Params),
      (error: unknown) =>
        error instanceof OpenAI.BadRequestError &&
        error.param === 'diffusion.strategy.name' &&
        error.code === 'invalid_parameter',
    );
    const stranger = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(stranger.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
  });

  it('stops decoding when the client closes the stream mid-way, and /metrics shows it', async () => {
    const metrics = async () => (await fetch(`${base}/metrics`)).text();
    const before = await metrics();
    const cancelledBefore = metricValue(before, 'unmask_generations_total', 'outcome="cancelled"');
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'a long answer please' }],
      max_tokens: 120,
      stream: true,
      diffusion: { stream_steps: true, strategy: { name: 'low_confidence' } },
    } as StreamParams);
    let seen = 0;
    for await (const chunk of stream) {
      if ((chunk as { diffusion_step?: unknown }).diffusion_step) seen += 1;
      if (seen === 2) break; // leaving the loop aborts the HTTP request
    }
    let text = await metrics();
    for (
      let i = 0;
      i < 200 && metricValue(text, 'unmask_generations_total', 'outcome="cancelled"') === cancelledBefore;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 25));
      text = await metrics();
    }
    assert.equal(metricValue(text, 'unmask_generations_total', 'outcome="cancelled"'), cancelledBefore + 1);
    const passes = metricValue(text, 'unmask_forward_passes_sum', 'outcome="cancelled"');
    assert.ok(passes >= 2 && passes < 120, `the cancelled request ran ${passes} of 120 steps`);
    assert.equal(metricValue(text, 'unmask_active_generations'), 0);
  });
});

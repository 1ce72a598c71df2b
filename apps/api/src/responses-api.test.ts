/**
 * `POST /v1/responses` with the official openai client against the default model: a string or
 * messages with images and audio, `instructions`, structured output through `responses.parse`,
 * function calls as output items, `max_output_tokens`, the streamed event types in order with
 * their sequence numbers, and errors in OpenAI's shape.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { defaultModelDir } from '@unmask/pipeline';
import { errorBodySchema, responseObjectSchema, responseStreamEventSchema } from '@unmask/protocol';
import { command, commands, INTENT_JSON_SCHEMA, sampleBase64, sampleImage } from './test-support/demo-samples.js';
import { startServer } from './test-support/fixtures.js';

type Started = Awaited<ReturnType<typeof startServer>>;

const image = sampleImage(3);
const imageUrl = `data:image/png;base64,${sampleBase64(image.file)}`;

describe('the Responses API with the openai client and the default model', () => {
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

  const imageQuestion = (text: string): OpenAI.Responses.ResponseInput => [
    {
      role: 'user',
      content: [
        { type: 'input_image', image_url: imageUrl, detail: 'auto' },
        { type: 'input_text', text },
      ],
    },
  ];

  it('answers messages with an image, instructions changing nothing; output_text and usage as OpenAI’s', async () => {
    for (const question of ['what color is the square', 'describe the image']) {
      const response = await client.responses.create({
        model: 'unmask-default',
        input: imageQuestion(question),
        instructions: 'You are a helpful assistant.',
      });
      responseObjectSchema.parse(response);
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, image.answers[question]);
      assert.equal(response.output[0]?.type, 'message');
      assert.ok((response.usage?.input_tokens ?? 0) > 9, 'the image positions count');
      assert.equal(response.instructions, 'You are a helpful assistant.');
    }
    const plain = await client.responses.create({ model: 'm', input: 'how many shapes are there' });
    assert.equal(typeof plain.output_text, 'string');
  });

  it('takes audio as input_audio and as an input_file data: URL', async () => {
    const sample = command(0);
    const asAudio = await client.responses.create({
      model: 'm',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: sampleBase64(sample.file), format: 'wav' } },
            { type: 'input_text', text: 'what is the intent' },
          ],
        } as OpenAI.Responses.ResponseInputItem,
      ],
    });
    assert.deepEqual(JSON.parse(asAudio.output_text), sample.intent);
    const asFile = await client.responses.create({
      model: 'm',
      input: [
        {
          role: 'user',
          content: [
            {
              type: 'input_file',
              filename: 'command.wav',
              file_data: `data:audio/wav;base64,${sampleBase64(sample.file)}`,
            },
            { type: 'input_text', text: 'what is the intent' },
          ],
        },
      ],
    });
    assert.equal(asFile.output_text, asAudio.output_text);
  });

  it('responses.parse with a json_schema text format returns each sample command’s intent', async () => {
    for (const sample of commands) {
      const response = await client.responses.parse({
        model: 'm',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_audio', input_audio: { data: sampleBase64(sample.file), format: 'wav' } },
              { type: 'input_text', text: 'what is the intent' },
            ],
          } as OpenAI.Responses.ResponseInputItem,
        ],
        text: { format: { type: 'json_schema', name: 'intent', schema: INTENT_JSON_SCHEMA, strict: true } },
      });
      assert.deepEqual(response.output_parsed, sample.intent, sample.file);
    }
  });

  it('function tools: a function_call output item whose arguments are the intent; the call and its output in later input', async () => {
    const sample = command(1);
    const tools: OpenAI.Responses.FunctionTool[] = [
      { type: 'function', name: 'control_device', parameters: INTENT_JSON_SCHEMA, strict: true },
    ];
    const input: OpenAI.Responses.ResponseInput = [
      {
        role: 'user',
        content: [
          { type: 'input_audio', input_audio: { data: sampleBase64(sample.file), format: 'wav' } },
          { type: 'input_text', text: 'what is the intent' },
        ],
      } as OpenAI.Responses.ResponseInputItem,
    ];
    const response = await client.responses.parse({ model: 'm', input, tools, tool_choice: 'required' });
    const call = response.output[0];
    assert.ok(call?.type === 'function_call');
    assert.equal(call.name, 'control_device');
    assert.match(call.call_id, /^call_/);
    assert.deepEqual(call.parsed_arguments, sample.intent);
    const again = await client.responses.create({
      model: 'm',
      input: [
        ...input,
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"ok": true}' },
        ...input,
      ],
      tools,
      tool_choice: { type: 'function', name: 'control_device' },
    });
    const second = again.output[0];
    assert.ok(second?.type === 'function_call');
    assert.equal(second.arguments, call.arguments);
    await assert.rejects(
      client.responses.create({ model: 'm', input, tools }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'tool_choice',
    );
  });

  it('streams the event types in order, with sequence numbers, deltas adding up to the final text', async () => {
    const stream = await client.responses.create({
      model: 'm',
      input: imageQuestion('describe the image'),
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    for (const e of events) responseStreamEventSchema.parse(e);
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    assert.deepEqual(types, [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    assert.equal(text, image.answers['describe the image']);
    assert.equal(done.response.output_text ?? text, text);
    assert.equal((done.response.output[0] as OpenAI.Responses.ResponseOutputMessage).content[0]?.type, 'output_text');

    // The SDK's stream helper reads the same events into the final response.
    const helper = client.responses.stream({ model: 'm', input: imageQuestion('what color is the square') });
    const final = await helper.finalResponse();
    assert.equal(final.output_text, image.answers['what color is the square']);
  });

  it('streams a function call as function_call_arguments deltas', async () => {
    const sample = command(2);
    const stream = await client.responses.create({
      model: 'm',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: sampleBase64(sample.file), format: 'wav' } },
            { type: 'input_text', text: 'what is the intent' },
          ],
        } as OpenAI.Responses.ResponseInputItem,
      ],
      tools: [{ type: 'function', name: 'control_device', parameters: INTENT_JSON_SCHEMA, strict: true }],
      tool_choice: 'required',
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    assert.deepEqual(types, [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const args = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
    assert.deepEqual(JSON.parse(args), sample.intent);
  });

  it('max_output_tokens cuts the answer: status incomplete, reason max_output_tokens', async () => {
    const response = await client.responses.create({
      model: 'm',
      input: imageQuestion('describe the image'),
      max_output_tokens: 3,
    });
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
    const full = await client.responses.create({
      model: 'm',
      input: imageQuestion('describe the image'),
      max_output_tokens: 4096,
    });
    assert.equal(full.status, 'completed');
    assert.equal(full.output_text, image.answers['describe the image']);
  });

  it('logprobs when include asks for them; errors in OpenAI’s shape naming the field', async () => {
    const response = await client.responses.create({
      model: 'm',
      input: imageQuestion('what color is the square'),
      include: ['message.output_text.logprobs'],
      top_logprobs: 2,
    });
    const part = (response.output[0] as OpenAI.Responses.ResponseOutputMessage)
      .content[0] as OpenAI.Responses.ResponseOutputText;
    assert.equal((part.logprobs ?? []).map((t) => t.token).join(''), response.output_text);
    assert.ok((part.logprobs ?? []).every((t) => t.top_logprobs.length === 2));

    await assert.rejects(
      client.responses.create({ model: 'm', input: 'hi', previous_response_id: 'resp_1' }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id' && e.code === 'unsupported_parameter',
    );
    const bad = await fetch(`${base}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
              { type: 'input_text', text: 'q' },
            ],
          },
        ],
      }),
    });
    assert.equal(bad.status, 422);
    assert.equal(errorBodySchema.parse(await bad.json()).error.param, 'input[0].content[0].image_url');
    const noText = await fetch(`${base}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: imageUrl }] }] }),
    });
    assert.equal(noText.status, 400);
    assert.equal(errorBodySchema.parse(await noText.json()).error.param, 'input');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(doc.paths['/v1/responses']);
  });
});

/**
 * Tool calls and log-probabilities with the official openai client against the default model:
 * a required or named function gets each sample command's intent as its arguments (constrained
 * to the function's schema), `finish_reason: "tool_calls"`, streamed as OpenAI's tool-call
 * deltas; a model that cannot choose between text and a call refuses `auto` with a clear 400;
 * `tool` messages in history change nothing; logprobs report every answer token.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { defaultModelDir } from '@unmask/pipeline';
import { chatCompletionChunkSchema } from '@unmask/protocol';
import { command, commands, INTENT_JSON_SCHEMA, sampleBase64, sampleImage } from './test-support/demo-samples.js';
import { startServer } from './test-support/fixtures.js';

const SWITCH: OpenAI.Chat.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'control_device',
    description: 'Act on a smart-home device',
    parameters: INTENT_JSON_SCHEMA,
    strict: true,
  },
};
const LOOKUP: OpenAI.Chat.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'look_up',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
      additionalProperties: false,
    },
  },
};

type Started = Awaited<ReturnType<typeof startServer>>;

describe('tool calls and logprobs with the openai client and the default model', () => {
  let server: Started;
  let client: OpenAI;
  before(async () => {
    server = await startServer({}, defaultModelDir());
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => server.close());

  const spoken = (file: string, text = 'what is the intent'): OpenAI.Chat.ChatCompletionMessageParam => ({
    role: 'user',
    content: [
      {
        type: 'input_audio',
        input_audio: { data: sampleBase64(file), format: 'wav' },
      },
      { type: 'text', text },
    ],
  });

  it('tool_choice required: each sample command’s intent as the call’s arguments, finish_reason tool_calls', async () => {
    for (const sample of commands) {
      const completion = await client.chat.completions.create({
        model: 'm',
        messages: [spoken(sample.file)],
        tools: [SWITCH],
        tool_choice: 'required',
      });
      const choice = completion.choices[0];
      assert.equal(choice?.finish_reason, 'tool_calls', sample.file);
      assert.equal(choice?.message.content, null);
      const call = choice?.message.tool_calls?.[0];
      assert.ok(call?.type === 'function');
      assert.equal(call.function.name, 'control_device');
      assert.match(call.id, /^call_/);
      assert.deepEqual(JSON.parse(call.function.arguments), sample.intent, sample.file);
    }
  });

  it('several functions: a named one is called; under required the call is the function whose schema the arguments satisfy', async () => {
    const sample = command(1);
    const named = await client.chat.completions.create({
      model: 'm',
      messages: [spoken(sample.file)],
      tools: [LOOKUP, SWITCH],
      tool_choice: { type: 'function', function: { name: 'control_device' } },
    });
    const call = named.choices[0]?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.equal(call.function.name, 'control_device');
    assert.deepEqual(JSON.parse(call.function.arguments), sample.intent);
    // The word-level model cannot write {"query": …}: of the two schemas only the intent fits.
    const required = await client.chat.completions.create({
      model: 'm',
      messages: [spoken(sample.file)],
      tools: [LOOKUP, SWITCH],
      tool_choice: 'required',
    });
    const chosen = required.choices[0]?.message.tool_calls?.[0];
    assert.ok(chosen?.type === 'function');
    assert.equal(chosen.function.name, 'control_device');
  });

  it('the parse helper reads the call’s arguments as an object', async () => {
    const sample = command(0);
    const parsed = await client.chat.completions.parse({
      model: 'm',
      messages: [spoken(sample.file)],
      tools: [SWITCH],
      tool_choice: 'required',
    });
    const call = parsed.choices[0]?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.deepEqual(call.function.parsed_arguments, sample.intent);
  });

  it('streams the call as OpenAI’s tool-call deltas: id, type and name first, then arguments that add up', async () => {
    const sample = command(2);
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [spoken(sample.file)],
      tools: [SWITCH],
      tool_choice: 'required',
      stream: true,
    });
    const deltas: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chatCompletionChunkSchema.parse(chunk);
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(deltas.length >= 1);
    assert.equal(deltas[0]?.function?.name, 'control_device');
    assert.match(deltas[0]?.id ?? '', /^call_/);
    assert.ok(deltas.slice(1).every((d) => d.id === undefined && d.function?.name === undefined && d.index === 0));
    const args = deltas.map((d) => d.function?.arguments ?? '').join('');
    assert.deepEqual(JSON.parse(args), sample.intent);
    assert.equal(finish, 'tool_calls');
  });

  it('auto: this model cannot choose between text and a call, and says so with a 400', async () => {
    for (const tool_choice of ['auto', undefined] as const) {
      await assert.rejects(
        client.chat.completions.create({
          model: 'm',
          messages: [spoken(command(0).file)],
          tools: [SWITCH],
          ...(tool_choice ? { tool_choice } : {}),
        }),
        (e: unknown) =>
          e instanceof OpenAI.BadRequestError &&
          e.param === 'tool_choice' &&
          e.code === 'unsupported_parameter' &&
          /cannot choose between a text answer and a tool call/.test(e.message),
      );
    }
    const none = await client.chat.completions.create({
      model: 'm',
      messages: [spoken(command(0).file, 'transcribe the audio')],
      tools: [SWITCH],
      tool_choice: 'none',
    });
    assert.equal(none.choices[0]?.finish_reason, 'stop');
    assert.equal(typeof none.choices[0]?.message.content, 'string');
  });

  it('a conversation with an earlier call and its tool result answers like the question alone', async () => {
    const sample = command(0);
    const ask = async (messages: OpenAI.Chat.ChatCompletionMessageParam[]) =>
      (await client.chat.completions.create({ model: 'm', messages, tools: [SWITCH], tool_choice: 'required' }))
        .choices[0]?.message.tool_calls?.[0];
    const alone = await ask([spoken(sample.file)]);
    assert.ok(alone?.type === 'function');
    // The clip goes with the conversation once (every user turn's media go with the prompt): the
    // follow-up asks in text. Sending the clip again would ask about two clips, a different input.
    const later = await ask([
      spoken(sample.file),
      { role: 'assistant', content: null, tool_calls: [alone] },
      { role: 'tool', tool_call_id: alone.id, content: '{"ok": true}' },
      { role: 'user', content: 'what is the intent' },
    ]);
    assert.ok(later?.type === 'function');
    assert.equal(later.function.arguments, alone.function.arguments);
  });

  it('logprobs: every answer token with its log-probability at its step and the top alternatives, whole and streamed', async () => {
    const image = sampleImage(2);
    const png = sampleBase64(image.file);
    const params = {
      model: 'm',
      messages: [
        {
          role: 'user' as const,
          content: [
            { type: 'image_url' as const, image_url: { url: `data:image/png;base64,${png}` } },
            { type: 'text' as const, text: 'describe the image' },
          ],
        },
      ],
      logprobs: true,
      top_logprobs: 3,
    };
    const whole = await client.chat.completions.create(params);
    const content = whole.choices[0]?.logprobs?.content ?? [];
    assert.equal(whole.choices[0]?.message.content, image.answers['describe the image']);
    assert.equal(content.length, whole.usage?.completion_tokens);
    assert.equal(content.map((t) => t.token).join(''), whole.choices[0]?.message.content);
    for (const t of content) {
      assert.ok(t.logprob <= 0);
      assert.deepEqual(Buffer.from(t.bytes ?? []).toString('utf8'), t.token);
      assert.equal(t.top_logprobs.length, 3);
      assert.ok(t.top_logprobs.every((a, i) => i === 0 || a.logprob <= (t.top_logprobs[i - 1]?.logprob ?? 0)));
      assert.equal(t.top_logprobs[0]?.token, t.token, 'argmax decoding commits the most likely token');
      assert.equal(t.top_logprobs[0]?.logprob, t.logprob);
    }
    const stream = await client.chat.completions.create({ ...params, stream: true });
    const streamed: OpenAI.Chat.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    assert.deepEqual(streamed, content);
    const plain = await client.chat.completions.create({ ...params, logprobs: false, top_logprobs: undefined });
    assert.equal(plain.choices[0]?.logprobs, null);
  });
});

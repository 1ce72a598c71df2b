/**
 * The Vercel AI SDK against the server running the default model, as its users call it:
 * `@ai-sdk/openai-compatible`, `@ai-sdk/openai`'s `.chat(...)` and its default model (the
 * Responses API). generateObject and streamObject return the sample commands' intents; tool
 * calls carry them as their input; plain questions about an image get the world's answers; a
 * system prompt changes nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  generateObject,
  generateText,
  jsonSchema,
  type LanguageModel,
  type ModelMessage,
  streamObject,
  streamText,
  tool,
} from 'ai';
import { z } from 'zod';
import { defaultModelDir } from '@unmask/pipeline';
import { command, commands, sampleImage, SAMPLES_DIR } from './test-support/demo-samples.js';
import { startServer } from './test-support/fixtures.js';

const Intent = z.object({ action: z.string(), object: z.string(), location: z.string() });
const image = sampleImage(2);

type Started = Awaited<ReturnType<typeof startServer>>;

const spoken = (file: string, text = 'what is the intent'): ModelMessage[] => [
  {
    role: 'user',
    content: [
      { type: 'file', data: readFileSync(`${SAMPLES_DIR}${file}`), mediaType: 'audio/wav' },
      { type: 'text', text },
    ],
  },
];
const shown = (text: string): ModelMessage[] => [
  {
    role: 'user',
    content: [
      { type: 'image', image: readFileSync(`${SAMPLES_DIR}${image.file}`), mediaType: 'image/png' },
      { type: 'text', text },
    ],
  },
];

describe('the Vercel AI SDK and the default model', () => {
  let server: Started;
  let models: { name: string; model: LanguageModel; audio?: object }[];
  before(async () => {
    server = await startServer({}, defaultModelDir());
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const baseURL = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}/v1`;
    const compatible = createOpenAICompatible({ name: 'unmask', baseURL, supportsStructuredOutputs: true });
    const openai = createOpenAI({ baseURL, apiKey: 'none' });
    models = [
      { name: '@ai-sdk/openai-compatible', model: compatible.chatModel('unmask-default') },
      { name: '@ai-sdk/openai .chat', model: openai.chat('unmask-default') },
      // The Responses API sends only images and PDFs inline unless told to pass other files on.
      {
        name: '@ai-sdk/openai (Responses)',
        model: openai('unmask-default'),
        audio: { openai: { passThroughUnsupportedFiles: true } },
      },
    ];
  });
  after(async () => server.close());

  it('generateObject returns each sample command’s intent, with every provider', async () => {
    for (const { name, model, audio } of models) {
      for (const sample of commands) {
        const { object } = await generateObject({
          model,
          schema: Intent,
          system: 'You extract smart-home intents.',
          messages: spoken(sample.file),
          maxRetries: 0,
          ...(audio ? { providerOptions: audio as never } : {}),
        });
        assert.deepEqual(object, sample.intent, `${name} ${sample.file}`);
      }
    }
  });

  it('streamObject streams the same intent', async () => {
    for (const { name, model, audio } of models) {
      const sample = command(1);
      const result = streamObject({
        model,
        schema: Intent,
        messages: spoken(sample.file),
        maxRetries: 0,
        ...(audio ? { providerOptions: audio as never } : {}),
      });
      let partials = 0;
      for await (const _ of result.partialObjectStream) partials += 1;
      assert.ok(partials >= 1, name);
      assert.deepEqual(await result.object, sample.intent, name);
    }
  });

  it('generateObject with a json_object response format (a provider without structured outputs)', async () => {
    const server_ = server;
    const baseURL = `http://127.0.0.1:${(server_.app.server.address() as AddressInfo).port}/v1`;
    const plain = createOpenAICompatible({ name: 'unmask', baseURL }).chatModel('unmask-default');
    const sample = command(0);
    const { object } = await generateObject({
      model: plain,
      schema: Intent,
      messages: spoken(sample.file),
      maxRetries: 0,
    });
    assert.deepEqual(object, sample.intent);
  });

  it('tool calls: required or a named tool gives the intent as the call’s input', async () => {
    for (const { name, model, audio } of models) {
      const sample = command(2);
      const tools = {
        control_device: tool({ description: 'Act on a smart-home device', inputSchema: Intent }),
        look_up: tool({
          inputSchema: jsonSchema<{ query: string }>({
            type: 'object',
            properties: { query: { type: 'string' } },
            required: ['query'],
            additionalProperties: false,
          }),
        }),
      };
      for (const toolChoice of ['required', { type: 'tool', toolName: 'control_device' }] as const) {
        const result = await generateText({
          model,
          tools,
          toolChoice,
          messages: spoken(sample.file),
          maxRetries: 0,
          ...(audio ? { providerOptions: audio as never } : {}),
        });
        assert.equal(result.finishReason, 'tool-calls', name);
        assert.equal(result.toolCalls[0]?.toolName, 'control_device', name);
        assert.deepEqual(result.toolCalls[0]?.input, sample.intent, `${name} ${JSON.stringify(toolChoice)}`);
      }
      const streamed = streamText({
        model,
        tools,
        toolChoice: 'required',
        messages: spoken(sample.file),
        maxRetries: 0,
        ...(audio ? { providerOptions: audio as never } : {}),
      });
      const calls = await streamed.toolCalls;
      assert.deepEqual(calls[0]?.input, sample.intent, `${name} streamed`);
    }
  });

  it('plain questions about an image get the world’s answers, whole and streamed; a system prompt changes nothing', async () => {
    for (const { name, model } of models) {
      for (const question of ['what color is the circle', 'describe the image']) {
        const { text } = await generateText({ model, messages: shown(question), maxRetries: 0 });
        assert.equal(text, image.answers[question], `${name}: ${question}`);
        const withSystem = await generateText({
          model,
          system: 'Be concise.',
          messages: shown(question),
          maxRetries: 0,
        });
        assert.equal(withSystem.text, text, name);
      }
      const stream = streamText({ model, messages: shown('describe the image'), maxRetries: 0 });
      let streamed = '';
      for await (const delta of stream.textStream) streamed += delta;
      assert.equal(streamed, image.answers['describe the image'], name);
    }
  });
});

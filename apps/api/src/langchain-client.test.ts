/**
 * LangChain's `ChatOpenAI` (@langchain/openai) against the server running the default model:
 * `withStructuredOutput` in each of its methods (jsonSchema, functionCalling, jsonMode) returns
 * the sample commands' intents, `bindTools` gives tool calls carrying them, system messages
 * change nothing, and plain image questions get the world's answers over Chat Completions and
 * the Responses API.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { defaultModelDir } from '@unmask/pipeline';
import { command, commands, sampleBase64, sampleImage } from './test-support/demo-samples.js';
import { startServer } from './test-support/fixtures.js';

const Intent = z.object({ action: z.string(), object: z.string(), location: z.string() });
const image = sampleImage(1);

type Started = Awaited<ReturnType<typeof startServer>>;

const spoken = (file: string) =>
  new HumanMessage({
    content: [
      {
        type: 'audio',
        source_type: 'base64',
        mime_type: 'audio/wav',
        data: sampleBase64(file),
      },
      { type: 'text', text: 'what is the intent' },
    ],
  });
const shown = (text: string) =>
  new HumanMessage({
    content: [
      {
        type: 'image_url',
        image_url: { url: `data:image/png;base64,${sampleBase64(image.file)}` },
      },
      { type: 'text', text },
    ],
  });

describe('LangChain (@langchain/openai) and the default model', () => {
  let server: Started;
  let chat: ChatOpenAI;
  let responses: ChatOpenAI;
  before(async () => {
    server = await startServer({}, defaultModelDir());
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const baseURL = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}/v1`;
    const fields = { model: 'unmask-default', apiKey: 'none', maxRetries: 0, configuration: { baseURL } };
    chat = new ChatOpenAI(fields);
    responses = new ChatOpenAI({ ...fields, useResponsesApi: true });
  });
  after(async () => server.close());

  it('withStructuredOutput returns each sample command’s intent in every method, a system message changing nothing', async () => {
    for (const method of ['jsonSchema', 'functionCalling', 'jsonMode'] as const) {
      const structured = chat.withStructuredOutput(Intent, { method });
      for (const sample of commands) {
        const intent = await structured.invoke([
          new SystemMessage('Extract the smart-home intent as JSON.'),
          spoken(sample.file),
        ]);
        assert.deepEqual(intent, sample.intent, `${method} ${sample.file}`);
      }
    }
  });

  it('bindTools: a required tool call carries the intent as its args', async () => {
    const sample = command(1);
    const withTools = chat.bindTools(
      [
        {
          type: 'function',
          function: {
            name: 'control_device',
            parameters: {
              type: 'object',
              properties: { action: { type: 'string' }, object: { type: 'string' }, location: { type: 'string' } },
              required: ['action', 'object', 'location'],
              additionalProperties: false,
            },
          },
        },
      ],
      { tool_choice: 'required' },
    );
    const message = await withTools.invoke([spoken(sample.file)]);
    assert.equal(message.tool_calls?.[0]?.name, 'control_device');
    assert.deepEqual(message.tool_calls?.[0]?.args, sample.intent);
  });

  it('plain image questions, whole and streamed, over Chat Completions and the Responses API', async () => {
    for (const [name, model] of [
      ['chat', chat],
      ['responses', responses],
    ] as const) {
      for (const question of ['where is the diamond', 'describe the image']) {
        const message = await model.invoke([new SystemMessage('You answer questions about images.'), shown(question)]);
        assert.equal(message.text, image.answers[question], `${name}: ${question}`);
      }
      let streamed = '';
      for await (const chunk of await model.stream([shown('describe the image')])) streamed += chunk.text;
      assert.equal(streamed, image.answers['describe the image'], `${name} streamed`);
    }
  });
});

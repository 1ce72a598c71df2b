import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { strategySchema } from '@unmask/core/options';
import {
  chatCompletionChunkSchema,
  chatCompletionRequestSchema,
  createResponseSchema,
  diffusionOptionsSchema,
  errorBodySchema,
  responseStreamEventSchema,
} from './index.js';

describe('the chat completion request schema', () => {
  it('accepts what the openai client sends, with images, audio and the diffusion extension', () => {
    const parsed = chatCompletionRequestSchema.parse({
      model: 'any',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'q' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          ],
        },
      ],
      max_completion_tokens: 16,
      temperature: 0,
      seed: 1,
      stop: ['\n'],
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
      diffusion: { strategy: { name: 'confident', threshold: 0.8 }, cache: 'prefix', stream_steps: true },
      user: 'u',
    });
    assert.equal(parsed.diffusion?.strategy?.name, 'confident');
  });

  it('validates the strategy with the engine’s own schema (defaults filled the same way)', () => {
    const input = { name: 'threshold', threshold: 0.7 };
    assert.deepEqual(diffusionOptionsSchema.parse({ strategy: input }).strategy, strategySchema.parse(input));
    const bad = diffusionOptionsSchema.safeParse({ strategy: { name: 'greedy' } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['strategy', 'name']);
    assert.equal(
      diffusionOptionsSchema.safeParse({ stream_step: true }).success,
      false,
      'a misspelt extension field is an error',
    );
  });

  it('refuses n > 1 and an empty conversation', () => {
    assert.equal(
      chatCompletionRequestSchema.safeParse({ messages: [{ role: 'user', content: 'q' }], n: 2 }).success,
      false,
    );
    assert.equal(chatCompletionRequestSchema.safeParse({ messages: [] }).success, false);
  });
});

describe('the Responses request schema', () => {
  it('accepts a string, or items with text, images, audio, files, calls and their outputs', () => {
    assert.equal(createResponseSchema.safeParse({ input: 'how many shapes are there' }).success, true);
    const parsed = createResponseSchema.parse({
      model: 'any',
      instructions: 'be brief',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'q' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
            { type: 'input_file', filename: 'a.wav', file_data: 'data:audio/wav;base64,AAAA' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'done' },
      ],
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } },
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      max_output_tokens: 64,
      include: ['message.output_text.logprobs'],
      top_logprobs: 2,
      stream: true,
      store: false,
      diffusion: { strategy: { name: 'threshold', threshold: 0.5 } },
    });
    assert.equal(parsed.tools?.[0]?.name, 'f');
  });

  it('refuses tools other than functions and an empty input', () => {
    assert.equal(createResponseSchema.safeParse({ input: 'q', tools: [{ type: 'web_search' }] }).success, false);
    assert.equal(createResponseSchema.safeParse({ input: [] }).success, false);
    assert.equal(createResponseSchema.safeParse({ input: '' }).success, false);
  });

  it('stream events carry their type and sequence number', () => {
    const delta = responseStreamEventSchema.parse({
      type: 'response.output_text.delta',
      output_index: 0,
      item_id: 'msg_1',
      content_index: 0,
      delta: 'red',
      logprobs: [],
      sequence_number: 4,
    });
    assert.equal(delta.sequence_number, 4);
    assert.equal(
      responseStreamEventSchema.safeParse({ type: 'response.output_text.delta', delta: 'x' }).success,
      false,
    );
  });
});

describe('chunks and errors', () => {
  it('a chunk may carry a diffusion_step; an error has message, type, param, code', () => {
    const chunk = chatCompletionChunkSchema.parse({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: null }],
      system_fingerprint: null,
      diffusion_step: {
        step: 1,
        block: 0,
        canvas_length: 4,
        committed: [{ position: 2, token: 9, text: 'a', confidence: 0.5 }],
        masks_remaining: 3,
        forward_passes: 1,
        early_commit: false,
        elapsed_ms: 1,
      },
    });
    assert.equal(chunk.diffusion_step?.committed[0]?.position, 2);
    assert.equal(
      errorBodySchema.safeParse({ error: { message: 'm', type: 'invalid_request_error', param: null, code: null } })
        .success,
      true,
    );
  });
});

describe('the package stays browser-safe', () => {
  it('imports only zod and the node-free option schemas of the engine (@unmask/core/options)', () => {
    const require = createRequire(import.meta.url);
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
        const spec = match[1] as string;
        if (/^import type|^export type/.test(match[0].trim())) continue;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (spec.startsWith('@unmask/')) visit(require.resolve(spec));
        else external.add(spec);
      }
    };
    visit(fileURLToPath(new URL('./index.ts', import.meta.url)));
    assert.ok(
      [...seen].some((f) => f.endsWith('core/src/options/index.ts')),
      'the scan follows the engine import',
    );
    assert.deepEqual([...external], ['zod']);
    const outside = [...seen].filter(
      (f) => !f.includes('/libs/protocol/src/') && !f.includes('/libs/core/src/options/'),
    );
    assert.deepEqual(outside, []);
  });
});

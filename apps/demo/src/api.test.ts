import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, buildRequest } from './api.js';

describe('buildRequest', () => {
  it('puts the image, then the audio, then the text in one user message, and asks for every step', () => {
    const body = buildRequest({
      prompt: 'answer the spoken question',
      media: { imageDataUrl: 'data:image/png;base64,AAAA', audioBase64: 'UklGRg==' },
      strategy: { name: 'threshold', threshold: 0.7, block_length: 8 },
      maxTokens: 16,
    });
    assert.deepEqual(body.messages, [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          { type: 'text', text: 'answer the spoken question' },
        ],
      },
    ]);
    assert.equal(body.stream, true);
    assert.equal(body.max_tokens, 16);
    assert.deepEqual(body.diffusion, {
      strategy: { name: 'threshold', threshold: 0.7, block_length: 8 },
      stream_steps: true,
    });
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  it('sends only the text when there is no media', () => {
    const body = buildRequest({
      prompt: 'hello',
      media: {},
      strategy: { name: 'confident', threshold: 0.9 },
      maxTokens: 32,
    });
    assert.deepEqual(body.messages[0]?.content, [{ type: 'text', text: 'hello' }]);
  });
});

describe('ApiError.plain', () => {
  it('leads with a plain sentence for a too-large file, then the server’s message, status and code', () => {
    const error = new ApiError(
      'messages[0].content[0].input_audio.data: the decoded media exceeds the limit of 30000 bytes',
      413,
      'too_large',
      'messages[0].content[0].input_audio.data',
    );
    assert.equal(
      error.plain,
      'The file is too large. messages[0].content[0].input_audio.data: the decoded media exceeds the limit of 30000 bytes [HTTP 413, too_large]',
    );
  });

  it('names the field when the message does not', () => {
    assert.equal(
      new ApiError('must be in (0, 1]', 400, 'invalid_parameter', 'diffusion.strategy.threshold').plain,
      'must be in (0, 1] (field: diffusion.strategy.threshold) [HTTP 400, invalid_parameter]',
    );
  });

  it('says nothing of HTTP when the server could not be reached', () => {
    assert.equal(
      new ApiError('Could not reach the server: Failed to fetch', null, null, null).plain,
      'Could not reach the server: Failed to fetch',
    );
  });
});

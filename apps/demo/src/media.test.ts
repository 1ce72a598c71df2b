import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToBase64, formatBytes, mediaType } from './media.js';

describe('media helpers', () => {
  it('encodes bytes as base64, also past the chunk size used for large files', () => {
    const bytes = new Uint8Array(70000).map((_, i) => (i * 7) % 256);
    assert.equal(bytesToBase64(bytes), Buffer.from(bytes).toString('base64'));
  });

  it('names a file’s type by the browser’s guess, then by extension, else octet-stream', () => {
    assert.equal(mediaType('x.bin', 'image/png'), 'image/png');
    assert.equal(mediaType('clip.WAV', ''), 'audio/wav');
    assert.equal(mediaType('clip.wav', 'audio/x-wav'), 'audio/wav');
    assert.equal(mediaType('notes', ''), 'application/octet-stream');
  });

  it('formats sizes for people', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(2048), '2.0 KB');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MB');
  });
});

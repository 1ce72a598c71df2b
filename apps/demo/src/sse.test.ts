import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from './sse.js';

describe('SseParser', () => {
  it('returns each event’s data once the blank line that ends it has arrived', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: {"a":1}\n'), []);
    assert.deepEqual(parser.push('\ndata: [DO'), ['{"a":1}']);
    assert.deepEqual(parser.push('NE]\n\n'), ['[DONE]']);
    assert.equal(parser.pending, '');
  });

  it('joins multi-line data, ignores comments and other fields, and accepts CRLF line ends', () => {
    const parser = new SseParser();
    const events = parser.push(': keep-alive\r\n\r\nevent: x\r\ndata: one\r\ndata:two\r\nid: 3\r\n\r\n');
    assert.deepEqual(events, ['one\ntwo']);
  });

  it('keeps an unfinished event pending', () => {
    const parser = new SseParser();
    parser.push('data: {"partial":');
    assert.equal(parser.pending, 'data: {"partial":');
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { eventWriter } from './event-writer.js';

describe('streamed events', () => {
  it('a client that stops reading is disconnected once an event has waited STREAM_WRITE_TIMEOUT_MS', async () => {
    // A socket whose peer never reads: writes are accepted into the buffer and never completed.
    const stalled = new Writable({ highWaterMark: 16, write() {} });
    stalled.on('error', () => {});
    const write = eventWriter(stalled, 200);
    const started = performance.now();
    await write('data: {"x": "more than sixteen bytes"}\n\n');
    const waited = performance.now() - started;
    assert.ok(stalled.destroyed, 'the connection is closed, which cancels the generation and frees its slot');
    assert.ok(waited >= 190 && waited < 3000, `waited ${Math.round(waited)} ms`);
    await write('data: later events are dropped\n\n');
  });

  it('a client that reads gets every event, however slowly it drains', async () => {
    const received: string[] = [];
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk, _encoding, callback) {
        received.push(String(chunk));
        setTimeout(callback, 20);
      },
    });
    const write = eventWriter(slow, 1000);
    for (let i = 0; i < 5; i++) await write(`data: event number ${i} of five\n\n`);
    assert.equal(slow.destroyed, false);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 5);
  });
});

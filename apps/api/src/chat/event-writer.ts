/**
 * Writes server-sent events with backpressure and a deadline: when the socket's buffer is full,
 * the next event waits for it to drain, for at most `timeoutMs`. A client that stops reading is
 * then disconnected, which cancels its generation (RequestControl sees the close) and frees its
 * decoding slot, instead of holding it for as long as the client likes.
 */
import type { Writable } from 'node:stream';

export function eventWriter(res: Writable, timeoutMs: number): (text: string) => Promise<void> {
  return (text) => {
    if (res.destroyed || res.writableEnded) return Promise.resolve();
    if (res.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        res.destroy(new Error(`the client took no data for ${timeoutMs} ms (STREAM_WRITE_TIMEOUT_MS)`));
        done();
      }, timeoutMs);
      res.once('drain', done);
      res.once('close', done);
    });
  };
}

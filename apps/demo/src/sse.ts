/**
 * A server-sent-events reader for `text/event-stream` bodies: feed it text as it arrives and it
 * hands back the `data:` payload of each complete event (several `data:` lines joined by "\n").
 * Hand-written: the browser's EventSource sends only GET requests, and the demo POSTs its chat
 * request; a parser package would be the demo's one runtime dependency for thirty lines.
 */
export class SseParser {
  private buffer = '';

  /** Adds received text; returns the payloads of the events it completed. */
  push(text: string): string[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: string[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
      if (data.length > 0) events.push(data.join('\n'));
    }
    return events;
  }

  /** Text received after the last complete event (a stream cut short leaves some). */
  get pending(): string {
    return this.buffer;
  }
}

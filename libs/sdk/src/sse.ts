/** One dispatched Server-Sent Events frame (WHATWG parsing: `id`, `event`, joined `data`). */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/**
 * An incremental text/event-stream parser. Feed it chunks; it returns the frames they complete.
 * A frame with an `id` but no `data` dispatches nothing but still moves `lastEventId` (Heddle sends
 * one first when a stream resumes); comments (`: heartbeat`) are skipped.
 */
export class SseParser {
  lastEventId = '';
  private buffer = '';
  private pending: { id?: string; event?: string; data: string[] } = { data: [] };

  push(text: string): SseFrame[] {
    this.buffer += text;
    const out: SseFrame[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone '\r' at the very end may be the first half of '\r\n': wait for the next chunk.
      if (this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      const frame = this.line(line);
      if (frame) out.push(frame);
    }
    return out;
  }

  private line(line: string): SseFrame | undefined {
    if (line === '') {
      const p = this.pending;
      this.pending = { data: [] };
      if (p.id !== undefined) this.lastEventId = p.id;
      if (p.data.length === 0) return undefined;
      return { id: this.lastEventId || undefined, event: p.event, data: p.data.join('\n') };
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id' && !value.includes('\0')) this.pending.id = value;
    else if (field === 'event') this.pending.event = value;
    else if (field === 'data') this.pending.data.push(value);
    return undefined;
  }
}

/** One dispatched Server-Sent Events frame. OpenCode sends `data:` lines only (no `id:`/`event:`). */
export interface SseFrame {
  data: string;
  event?: string;
  id?: string;
  retry?: number;
}

/**
 * An incremental parser for the `text/event-stream` format (WHATWG HTML §9.2.6): feed it decoded
 * text in arbitrary chunks, get back the frames completed by each chunk. Handles `\n`, `\r\n` and
 * `\r` line ends (also split across chunks), multi-line `data`, comments, a leading BOM, and drops
 * frames without data as the spec says. Pure: no I/O, no timers.
 */
export class SseParser {
  private buffer = '';
  private started = false;
  /** The previous chunk ended in `\r`: a `\n` at the start of the next one belongs to it. */
  private pendingCR = false;
  private data: string[] = [];
  private event?: string;
  private id?: string;
  private retry?: number;
  private lastId?: string;
  /** Comment lines (`: …`) seen so far; some servers use them as heartbeats. */
  comments = 0;

  push(chunk: string): SseFrame[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    const frames: SseFrame[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      const frame = this.line(line);
      if (frame) frames.push(frame);
    }
    this.buffer = this.buffer.slice(start);
    return frames;
  }

  /** The stream ended: an unterminated frame is discarded (spec), the parser is reset. */
  end(): void {
    this.buffer = '';
    this.pendingCR = false;
    this.resetFrame();
  }

  private line(line: string): SseFrame | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments++;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return undefined;
  }

  private dispatch(): SseFrame | undefined {
    if (this.id !== undefined) this.lastId = this.id;
    if (this.data.length === 0) {
      this.resetFrame();
      return undefined;
    }
    const frame: SseFrame = { data: this.data.join('\n') };
    if (this.event !== undefined && this.event !== '') frame.event = this.event;
    if (this.lastId !== undefined) frame.id = this.lastId;
    if (this.retry !== undefined) frame.retry = this.retry;
    this.resetFrame();
    return frame;
  }

  private resetFrame(): void {
    this.data = [];
    this.event = undefined;
    this.id = undefined;
    this.retry = undefined;
  }
}

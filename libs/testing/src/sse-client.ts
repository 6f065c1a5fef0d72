/** One dispatched Server-Sent Events frame. */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/**
 * A minimal EventSource over fetch for tests of Heddle's event streams: parses the stream as the
 * WHATWG spec does (frames without data are not dispatched, but their id still becomes the last
 * event id), keeps comments (heartbeats), and lets a test await what it expects instead of sleeping.
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  lastEventId = '';

  /** The `event:` of every dispatched frame, in order. */
  get types(): string[] {
    return this.frames.map((f) => f.event ?? '');
  }

  /** Resolves when the server ends the stream (or the client closes it). */
  readonly ended: Promise<void>;
  private endedFlag = false;
  private readonly listeners = new Set<() => void>();
  private buffer = '';
  private pending: { id?: string; event?: string; data: string[] } = { data: [] };

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly body: ReadableStream<Uint8Array>,
    private readonly abort: AbortController,
  ) {
    this.ended = this.read();
  }

  /** `token` null: no `Authorization` header (e.g. a person's stream, with the login cookie in `headers`). */
  static async open(url: string, token: string | null, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const res = await fetch(url, {
      headers: {
        accept: 'text/event-stream',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...headers,
      },
      signal: abort.signal,
    });
    if (!res.body) throw new Error(`no body (${res.status})`);
    return new SseClient(res.status, res.headers, res.body, abort);
  }

  get seqs(): number[] {
    return this.frames.map((f) => Number(f.id));
  }

  get events(): Array<Record<string, any>> {
    return this.frames.map((f) => JSON.parse(f.data));
  }

  /** Resolves once `accept` holds; fails if the stream ends first or after `timeoutMs`. */
  until(accept: (client: SseClient) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}; ${this.describe()}`)), timeoutMs);
      const check = () => {
        if (accept(this)) finish();
        else if (this.endedFlag) finish(new Error(`stream ended before ${what}; ${this.describe()}`));
      };
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  untilFrames(count: number): Promise<void> {
    return this.until((c) => c.frames.length >= count, `${count} frames`);
  }

  close(): void {
    this.abort.abort();
  }

  private describe(): string {
    return `frames ${JSON.stringify(this.seqs)}, lastEventId ${this.lastEventId}, comments ${this.comments.length}`;
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    const reader = this.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.push(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted by close(), or the connection was cut
    } finally {
      this.endedFlag = true;
      for (const l of [...this.listeners]) l();
    }
  }

  private push(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      this.line(line);
    }
    for (const l of [...this.listeners]) l();
  }

  private line(line: string): void {
    if (line === '') {
      if (this.pending.id !== undefined) this.lastEventId = this.pending.id;
      if (this.pending.data.length > 0) {
        this.frames.push({
          id: this.lastEventId || undefined,
          event: this.pending.event,
          data: this.pending.data.join('\n'),
        });
      }
      this.pending = { data: [] };
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') this.pending.id = value;
    else if (field === 'event') this.pending.event = value;
    else if (field === 'data') this.pending.data.push(value);
  }

  /** Resolves once a frame of this type arrived. */
  untilEvent(type: string): Promise<void> {
    return this.until((c) => c.types.includes(type), `a ${type} frame`);
  }
}

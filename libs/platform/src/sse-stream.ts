import { Readable } from 'node:stream';

/**
 * One Server-Sent Events frame. A frame with an `id` and neither `event` nor `data` is not
 * dispatched by clients, but still moves their last event id (what they send back as
 * `Last-Event-ID` when they reconnect).
 */
export interface SseMessage {
  id?: string;
  event?: string;
  /** Sent as one `data:` line per line. */
  data?: string;
}

/**
 * What an `@EventStream()` route hands back: opens the frames for one client. Pulled one frame at a
 * time, only as fast as the client reads them. `signal` aborts when the client leaves or the server
 * shuts down; a source that waits must wake up on it.
 */
export type SseSource = (signal: AbortSignal) => AsyncIterable<SseMessage>;

const LINE_BREAK = /\r\n|\r|\n/;

/** A field value that must stay on one line (`id`, `event`): line breaks and NUL would split or void it. */
const oneLine = (value: string) => value.replace(/[\r\n\0]/g, '');

/** The wire form of a frame (WHATWG HTML §9.2.5), ending with the blank line that dispatches it. */
export function formatSseMessage(message: SseMessage): string {
  let frame = '';
  if (message.id !== undefined) frame += `id: ${oneLine(message.id)}\n`;
  if (message.event !== undefined) frame += `event: ${oneLine(message.event)}\n`;
  if (message.data !== undefined) for (const line of message.data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/** A comment frame: clients ignore it; it keeps proxies from timing the connection out. */
export function formatSseComment(text: string): string {
  return `${text
    .split(LINE_BREAK)
    .map((line) => `: ${line}\n`)
    .join('')}\n`;
}

export const SSE_HEARTBEAT = formatSseComment('heartbeat');
/** Written at once, so the client gets the headers without waiting for the first frame. */
export const SSE_OPENING = formatSseComment('connected');

/** Bytes of frames held here for a client that is not reading, before the source is no longer pulled. */
const HIGH_WATER_MARK = 16 * 1024;

export interface SseStreamOptions {
  heartbeatMs: number;
  /** A failure of the source while the stream was open (the stream then ends; the client resumes). */
  onError?: (err: unknown) => void;
}

/**
 * The body of one event-stream response: a byte stream that pulls frames from its source only when
 * the consumer (the socket, through Fastify's pipe) wants more, so a slow client holds at most a
 * high-water mark of frames here and never makes the source run ahead. Adds a heartbeat comment every
 * `heartbeatMs` unless the client is backed up. Destroying it (the client left) or `finish()` (the
 * server shuts down) aborts the source's signal and returns its iterator, which runs its cleanup.
 */
export class SseStream extends Readable {
  private readonly controller = new AbortController();
  private messages?: AsyncIterator<SseMessage>;
  private pumping = false;
  private finished = false;
  private heartbeat?: NodeJS.Timeout;
  private resolveStopped!: () => void;
  /** Settles once nothing of the source runs any more (it ended, failed, or returned after an abort). */
  readonly sourceStopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly source: SseSource,
    private readonly options: SseStreamOptions,
  ) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.push(SSE_OPENING);
    this.heartbeat = setInterval(() => {
      // A client that does not read gets nothing more, heartbeats included.
      if (this.readableLength < this.readableHighWaterMark) this.push(SSE_HEARTBEAT);
    }, options.heartbeatMs);
    this.heartbeat.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  override _read(): void {
    if (!this.pumping && !this.finished) void this.pump();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.stop();
    callback(err);
  }

  /**
   * Ends the response after what is buffered: the source stops, the client sees a clean end —
   * after a last comment frame saying why, when given.
   */
  finish(comment?: string): void {
    if (this.finished) return;
    this.stop();
    if (this.destroyed) return;
    if (comment !== undefined) this.push(formatSseComment(comment));
    this.push(null);
  }

  /**
   * For shutdown: finishes, waits until the source stopped and the client took the rest (or
   * `graceMs` passed, then cuts the connection), so no request outlives the server.
   */
  async shutdown(graceMs: number, comment?: string): Promise<void> {
    this.finish(comment);
    const closed = this.closed ? Promise.resolve() : new Promise<void>((resolve) => this.once('close', resolve));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
    const isLate = await Promise.race([Promise.all([closed, this.sourceStopped]).then(() => false), late]);
    clearTimeout(timer);
    if (isLate) this.destroy();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      this.messages ??= this.source(this.controller.signal)[Symbol.asyncIterator]();
      for (;;) {
        const next = await this.messages.next();
        if (this.finished || this.destroyed) return;
        if (next.done) return this.finish();
        if (!this.push(formatSseMessage(next.value))) return; // _read() resumes once the client caught up
      }
    } catch (err) {
      if (!this.controller.signal.aborted) this.options.onError?.(err);
      this.finish();
    } finally {
      this.pumping = false;
    }
  }

  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.heartbeat);
    this.controller.abort();
    // Runs the source's `finally` (unsubscribe, …): at once when it waits at a `yield`, else once the
    // abort has woken it. An iterator that already ended or failed returns at once.
    const messages = this.messages;
    void (async () => {
      try {
        await messages?.return?.();
      } catch {
        // it failed while stopping; nothing is waiting for it
      } finally {
        this.resolveStopped();
      }
    })();
  }
}

// The fake host's instance events: what it emitted (for assertions), who waits for one, and the
// SSE streams (`/event` per directory, `/global/event` for all) that carry them.
import { ServerResponse } from 'node:http';
import { newId } from './ids';
import type { FakeEmittedEvent, FakeEvent } from './types';

interface Subscriber {
  res: ServerResponse;
  /** null for `/global/event`. */
  directory: string | null;
  timer: NodeJS.Timeout;
}

interface Waiter {
  predicate: (event: FakeEvent, directory: string) => boolean;
  resolve: (event: FakeEvent) => void;
}

export interface EventHubOptions {
  /** Keep at most this many emitted events (0: none). */
  maxRecorded: number;
  /** `server.heartbeat` interval on every stream. */
  heartbeatMs: number;
  /** The project of a directory, for the envelope of `/global/event` (`global` when unknown). */
  projectOf(directory: string): string | undefined;
}

export class EventHub {
  /** Streams stay open but get nothing (no events, no heartbeats); events meanwhile are lost to them. */
  silent = false;
  private readonly subscribers = new Set<Subscriber>();
  private readonly waiters = new Set<Waiter>();
  private readonly emitted: FakeEmittedEvent[] = [];

  constructor(private readonly options: EventHubOptions) {}

  emit(directory: string, type: string, properties: Record<string, unknown>): void {
    // A snapshot only when something keeps the event; streams serialise it right away.
    const keep = this.options.maxRecorded > 0 || this.waiters.size > 0;
    const event: FakeEvent = { id: newId('evt'), type, properties: keep ? structuredClone(properties) : properties };
    if (this.options.maxRecorded > 0) {
      this.emitted.push({ directory, event, time: Date.now() });
      if (this.emitted.length > this.options.maxRecorded) {
        this.emitted.splice(0, this.emitted.length - this.options.maxRecorded);
      }
    }
    for (const w of [...this.waiters]) {
      try {
        if (w.predicate(event, directory)) w.resolve(event);
      } catch {
        // a throwing predicate doesn't match
      }
    }
    if (this.silent) return;
    let local: string | undefined;
    let global: string | undefined;
    for (const sub of this.subscribers) {
      if (sub.directory === null) {
        global ??= `data: ${JSON.stringify({ directory, project: this.options.projectOf(directory) ?? 'global', payload: event })}\n\n`;
        sub.res.write(global);
      } else if (sub.directory === directory) {
        local ??= `data: ${JSON.stringify(event)}\n\n`;
        sub.res.write(local);
      }
    }
  }

  /** Answers an SSE request: `server.connected` at once, then every event of `directory` (null: all). */
  subscribe(res: ServerResponse, directory: string | null): 'handled' {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    const frame = (type: string) => {
      const event = { id: newId('evt'), type, properties: {} };
      return `data: ${JSON.stringify(directory === null ? { payload: event } : event)}\n\n`;
    };
    const timer = setInterval(() => {
      if (!this.silent) res.write(frame('server.heartbeat'));
    }, this.options.heartbeatMs);
    timer.unref();
    const sub: Subscriber = { res, directory, timer };
    this.subscribers.add(sub);
    res.on('close', () => {
      clearInterval(timer);
      this.subscribers.delete(sub);
    });
    if (!this.silent) res.write(frame('server.connected'));
    else res.flushHeaders();
    return 'handled';
  }

  /** Ends the `/event` streams of one directory cleanly (as a disposed instance does). */
  endStreams(directory: string): void {
    for (const sub of [...this.subscribers]) {
      if (sub.directory !== directory) continue;
      clearInterval(sub.timer);
      this.subscribers.delete(sub);
      sub.res.end();
    }
  }

  /** Drops every stream's connection (the server stops listening); their close handlers tidy up. */
  destroyStreams(): void {
    for (const sub of this.subscribers) sub.res.destroy();
  }

  /** For stop(): no stream, no timer and no waiter is left behind. */
  close(): void {
    for (const sub of this.subscribers) {
      clearInterval(sub.timer);
      sub.res.destroy();
    }
    this.subscribers.clear();
    this.waiters.clear();
  }

  events(): FakeEmittedEvent[] {
    return this.emitted.slice();
  }

  clear(): void {
    this.emitted.length = 0;
  }

  waitForEvent(predicate: (event: FakeEvent, directory: string) => boolean, timeoutMs: number): Promise<FakeEvent> {
    return new Promise<FakeEvent>((resolvePromise, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolvePromise(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const recent = this.emitted
          .slice(-15)
          .map((e) => e.event.type)
          .join(', ');
        reject(new Error(`fake opencode: no matching event within ${timeoutMs} ms (recent: ${recent})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

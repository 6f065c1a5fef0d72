import { Injectable } from '@nestjs/common';
import { BadRequestError } from '@heddle/common';
import type { SseMessage, SseSource } from '@heddle/platform';
import { EventNotifications } from './event-notifications';
import { EventStreamFilter, EventStreamRepository } from './event-stream.repository';
import { EventView, toEventView } from './events.writer';

/** Where a client's stream starts. */
export interface EventStreamStart {
  /**
   * The `Last-Event-ID` header as sent. It wins over `after` and `live`: a reconnecting EventSource
   * sends it while still requesting the URL it first opened.
   */
  lastEventId?: string;
  /** Replay events with a seq greater than this, for clients that cannot set headers. */
  after?: number;
  /** With neither of the above: only events committed from now on, instead of the whole log. */
  live?: boolean;
}

/** Rows read per query; a full page is followed by the next at once. */
const PAGE_SIZE = 100;
/** How long a tail waits for a notification before it looks anyway (a lost one only delays). */
const FALLBACK_POLL_MS = 1000;

/**
 * Tails a team's event log for streaming clients. Every event a client receives has been read from
 * Postgres after its transaction committed: the tail pages `seq > last` and, once caught up, sleeps
 * until `EventNotifications` says the team committed something (or the fallback poll interval
 * passes). Since a team's seq is handed out under its row lock and so commits in seq order, `seq >
 * last` never skips an event that commits later: delivery is gap-free and duplicate-free in seq
 * order, also across reconnects that resume from the last id.
 */
@Injectable()
export class EventStreamService {
  constructor(
    private readonly repository: EventStreamRepository,
    private readonly notifications: EventNotifications,
  ) {}

  /** The seq the stream continues after. A malformed `Last-Event-ID` is a 400. */
  async resolveStart(teamId: string, start: EventStreamStart): Promise<number> {
    const header = start.lastEventId?.trim();
    if (header) {
      if (!/^\d{1,15}$/.test(header)) {
        throw new BadRequestError('request/validation_failed', 'Last-Event-ID must be the id (seq) of an event', [
          { field: 'Last-Event-ID', errors: ['Last-Event-ID must be a whole number'] },
        ]);
      }
      return Number(header);
    }
    if (start.after !== undefined) return start.after;
    return start.live ? this.repository.lastSeq(teamId) : 0;
  }

  /**
   * The team's committed events with seq > `from` that pass `filter`, in seq order: first the
   * history, then each new one once it commits, until `signal` aborts. Pulled lazily: a consumer
   * that stops pulling stops the queries. Ending the iteration (or aborting) unsubscribes.
   */
  async *streamEvents(
    teamId: string,
    filter: EventStreamFilter,
    from: number,
    signal: AbortSignal,
  ): AsyncGenerator<EventView, void, undefined> {
    let last = BigInt(from);
    const bell = new Doorbell();
    // Subscribed before the first read: a commit during any read rings, and the tail reads again.
    const unsubscribe = this.notifications.subscribe(teamId, bell.ring);
    signal.addEventListener('abort', bell.ring);
    try {
      while (!signal.aborted) {
        bell.reset();
        const rows = await this.repository.listAfter(teamId, last, PAGE_SIZE, filter);
        for (const row of rows) {
          if (signal.aborted) return;
          last = row.seq;
          yield toEventView(row);
        }
        if (rows.length < PAGE_SIZE) await bell.wait(FALLBACK_POLL_MS);
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', bell.ring);
    }
  }

  /**
   * The SSE frames of a stream (`GET /api/events/stream`; the task stream passes `{ taskId }`):
   * `id: <seq>`, `event: <type>`, `data: <the event as GET /api/events lists it>`. Resolves the
   * start before answering, so a bad `Last-Event-ID` still gets a JSON 400.
   */
  async openSse(teamId: string, filter: EventStreamFilter, start: EventStreamStart): Promise<SseSource> {
    const from = await this.resolveStart(teamId, start);
    return (signal) => this.frames(teamId, filter, from, signal);
  }

  private async *frames(
    teamId: string,
    filter: EventStreamFilter,
    from: number,
    signal: AbortSignal,
  ): AsyncGenerator<SseMessage, void, undefined> {
    // An id-only frame dispatches nothing but sets the client's last event id, so a `live` client
    // that reconnects before its first event resumes from here instead of skipping what it missed.
    if (from > 0) yield { id: String(from) };
    for await (const event of this.streamEvents(teamId, filter, from, signal)) yield toSseMessage(event);
  }
}

export function toSseMessage(event: EventView): SseMessage {
  return { id: String(event.seq), event: event.type, data: JSON.stringify(event) };
}

/** A wake-up flag a tail sleeps on: rung by notifications (and abort), cleared before each read. */
class Doorbell {
  private rung = true;
  private waiter?: () => void;

  readonly ring = (): void => {
    this.rung = true;
    this.waiter?.();
  };

  /** Before a read: a ring during the read is kept, and the tail reads again at once. */
  reset(): void {
    this.rung = false;
  }

  /** Resolves at once if rung since the last reset, else on a ring or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.rung) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiter = done;
    });
  }
}
